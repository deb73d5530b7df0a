#include "options.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>

namespace switchboard::bench {
namespace {

bool parse_shard(const std::string& text, unsigned& index, unsigned& count) {
  unsigned i = 0;
  unsigned n = 0;
  char slash = 0;
  if (std::sscanf(text.c_str(), "%u%c%u", &i, &slash, &n) != 3 || slash != '/' || n == 0 ||
      i >= n) {
    return false;
  }
  index = i;
  count = n;
  return true;
}

}  // namespace

std::size_t Options::shard_connections() const {
  const std::size_t base = connections / shard_count;
  return base + (shard_index < connections % shard_count ? 1 : 0);
}

std::optional<Options> parse_options(int argc, char** argv, int& exit_code) {
  Options o;
  CLI::App app{
      "Switchboard load generator: WebSocket fan-out, latency and connection benchmarks, and "
      "server API ingestion"};
  app.add_option("mode", o.mode, "fanout | latency | connect | ingest")
      ->required()
      ->check(CLI::IsMember({"fanout", "latency", "connect", "ingest"}));
  app.add_option("--host", o.host, "server address");
  app.add_option("--port", o.port, "server port");
  app.add_option("--path", o.path, "URL path (default: /broadcast, or /socket.io/)");
  app.add_option("--protocol", o.protocol,
                 "plain | socketio | switchboard | switchboard-socketio (the gateway over "
                 "Socket.IO)")
      ->check(CLI::IsMember({"plain", "socketio", "switchboard", "switchboard-socketio"}));
  app.add_option("--jwt-secret", o.jwt_secret, "HS256 secret (switchboard protocols)");
  app.add_option("--channel", o.channel,
                 "channel to subscribe and publish to (switchboard protocols)");
  CLI::Option* connections =
      app.add_option("-n,--connections", o.connections,
                     "subscribers (fanout, latency) or connections (connect), over all shards; "
                     "HTTP connections (ingest, default " +
                         std::to_string(kIngestConnections) + ")");
  app.add_option("--concurrency", o.concurrency, "connections handshaking at once");
  app.add_option("--source-addresses", o.source_addresses,
                 "local addresses to connect from, round robin (e.g. 127.0.0.1,127.0.0.2)")
      ->delimiter(',');
  std::string shard;
  app.add_option("--shard", shard,
                 "i/n: this process opens the i-th of n shares; shard 0 publishes");
  app.add_option("--duration", o.duration_s, "seconds of measurement (fanout, latency, ingest)");
  app.add_option("-w,--window", o.window, "publishes in flight (fanout)");
  app.add_option("--rate", o.rate, "publishes per second (latency)");
  app.add_option("--depth", o.depth, "requests pipelined in flight per connection (ingest)");
  app.add_option("--channels", o.channels,
                 "channels published to round robin, named <channel>-<i> (ingest)");
  app.add_option("--api-key", o.api_key, "the server API's key (ingest)");
  app.add_option("--payload-size", o.payload_size, "payload bytes (>= 34)");
  app.add_option("--server-pid", o.server_pids,
                 "server pid(s), comma-separated and summed: RSS per connection (connect), server "
                 "CPU per delivery (fanout), per accepted publication and per pid (ingest)")
      ->delimiter(',');
  app.add_option("--settle", o.settle_s, "seconds between the last connection and the RSS sample");
  app.add_option("--hold", o.hold_s, "seconds to hold the connections idle after measuring");
  app.add_option("--connect-timeout", o.connect_timeout_s, "seconds allowed to open them all");
  app.add_option("--drain-timeout", o.drain_timeout_s,
                 "seconds to wait for in-flight messages (ingest: answers) at the end");
  app.add_option("--label", o.label, "copied into the JSON report");
  try {
    app.parse(argc, argv);
    if (!shard.empty() && !parse_shard(shard, o.shard_index, o.shard_count)) {
      throw CLI::ValidationError("--shard", "expected i/n with i < n");
    }
    if (o.window == 0) throw CLI::ValidationError("--window", "must be at least 1");
    if (o.rate <= 0) throw CLI::ValidationError("--rate", "must be positive");
    if (o.mode == "ingest") {
      if (connections->count() == 0) o.connections = kIngestConnections;
      if (o.connections == 0) throw CLI::ValidationError("--connections", "must be at least 1");
      if (o.depth == 0) throw CLI::ValidationError("--depth", "must be at least 1");
      if (o.channels == 0) throw CLI::ValidationError("--channels", "must be at least 1");
      if (o.shard_count != 1) throw CLI::ValidationError("--shard", "not for ingest");
    }
  } catch (const CLI::ParseError& error) {
    exit_code = app.exit(error);
    return std::nullopt;
  }
  return o;
}

}  // namespace switchboard::bench
