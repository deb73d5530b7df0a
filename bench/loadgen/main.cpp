// switchboard-loadgen: WebSocket load generator for fan-out throughput, latency and
// connection rate/memory, and HTTP load generator for the server API's ingestion rate.
// Single-threaded on purpose: run it pinned to its own core, and run several processes
// (--shard, --source-addresses) for more connections than one may open.
// Progress goes to stderr; the final report is one JSON object on stdout.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdio>
#include <iostream>

#include "fleet.hpp"
#include "options.hpp"
#include "process_stats.hpp"
#include "protocol.hpp"
#include "run.hpp"

namespace sb = switchboard::bench;
namespace asio = boost::asio;

int main(int argc, char** argv) {
  int exit_code = 0;
  const std::optional<sb::Options> options = sb::parse_options(argc, argv, exit_code);
  if (!options) return exit_code;

  const std::uint64_t open_files = sb::raise_open_file_limit();
  if (options->shard_connections() + 16 > open_files) {
    std::fprintf(stderr, "warning: %zu connections but only %llu open files allowed; use --shard\n",
                 options->shard_connections(), static_cast<unsigned long long>(open_files));
  }
  std::unique_ptr<sb::Protocol> protocol = sb::make_protocol(options->protocol, {options->jwt_secret, options->channel});

  std::vector<asio::ip::address> sources;
  try {
    for (const std::string& text : options->source_addresses) {
      sources.push_back(asio::ip::make_address(text));
    }
    asio::io_context io(1);
    sb::ConnectionContext context{
        .io = io,
        .protocol = *protocol,
        .server = asio::ip::tcp::endpoint(asio::ip::make_address(options->host), options->port),
        .host_header = options->host + ":" + std::to_string(options->port),
        .request_target = protocol->request_target(options->path),
        .scratch = std::vector<char>(2 << 20),
    };
    // Declared after io and context: connections close before the io_context goes away.
    sb::Fleet fleet(context, sources, options->concurrency);
    sb::Run run{*options, io, fleet, {}, 0};
    const bool ingest = options->mode == "ingest";  // HTTP requests, not WebSockets
    run.report.add("mode", options->mode)
        .add("protocol", ingest ? std::string("http") : options->protocol)
        .add("target", ingest ? std::string("/api/publish") : context.request_target)
        .add("connections", std::uint64_t{options->shard_connections()})
        .add("shard",
             std::to_string(options->shard_index) + "/" + std::to_string(options->shard_count))
        .add("payload_size", std::uint64_t{options->payload_size});
    if (!options->label.empty()) run.report.add("label", options->label);

    if (options->mode == "fanout") {
      sb::run_fanout(run);
    } else if (options->mode == "latency") {
      sb::run_latency(run);
    } else if (ingest) {
      sb::run_ingest(run);
    } else {
      sb::run_connect(run);
    }
    run.report.add("exit_code", run.exit_code);
    std::cout << run.report.str() << std::endl;
    return run.exit_code;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "switchboard-loadgen: %s\n", error.what());
    return 2;
  }
}
