// Command-line options of switchboard-loadgen.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace switchboard::bench {

inline constexpr std::size_t kIngestConnections = 8;

struct Options {
  std::string mode;  // fanout | latency | connect | ingest
  std::string host = "127.0.0.1";
  std::uint16_t port = 8081;
  std::string path;  // empty: the protocol's default
  std::string protocol = "plain";
  std::string jwt_secret = "bench-secret";  // switchboard protocols
  std::string channel = "bench";            // switchboard protocols; ingest: channel name stem
  // Subscribers (fanout, latency), connections (connect) or HTTP connections (ingest, where
  // the default is kIngestConnections).
  std::size_t connections = 1000;
  std::size_t concurrency = 256;
  std::vector<std::string> source_addresses;
  unsigned shard_index = 0;
  unsigned shard_count = 1;
  double duration_s = 10;
  std::size_t window = 32;
  std::size_t depth = 1;              // ingest: requests in flight per connection
  std::size_t channels = 16;          // ingest: channels published to, round robin
  std::string api_key = "bench-key";  // ingest: the server API's key
  double rate = 10;
  std::size_t payload_size = 100;
  std::vector<int> server_pids;  // summed: several nodes of a cluster, and their Redis
  double settle_s = 1;
  double hold_s = 0;
  double connect_timeout_s = 60;
  double drain_timeout_s = 10;  // ends as soon as everything has arrived
  std::string label;

  // This shard's share of `connections`.
  std::size_t shard_connections() const;
  // Only shard 0 publishes.
  bool publishes() const { return shard_index == 0; }
};

// Parses argv; on --help or an error prints to stderr and returns nullopt with `exit_code`.
std::optional<Options> parse_options(int argc, char** argv, int& exit_code);

}  // namespace switchboard::bench
