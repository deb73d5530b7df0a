#pragma once
// The server's configuration: one value type filled from flags over environment over a TOML
// file, from one declarative table of options (src/config/options.cpp) that also produces
// validation and --help. docs/config.md lists every option.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace switchboard::config {

enum class LogFormat { console, json };

struct Config {
  // Listening
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 8081;                  // --port, SWITCHBOARD_PORT, WSGATEWAY_PORT
  unsigned workers = 0;                       // 0: number of cores
  std::string ws_path = "/ws";                // path of the gateway's WebSocket endpoint

  // Transport limits
  std::size_t max_message_size = 8 * 1024;    // inbound payload bytes (seed 001: 8 KB)
  std::size_t max_request_size = 8 * 1024;    // HTTP request line + headers
  std::size_t max_body_size = 1024 * 1024;    // HTTP request body (server API)
  std::size_t outbound_queue_limit = 1024 * 1024;  // bytes queued per connection
  std::chrono::milliseconds handshake_timeout{5000};
  std::chrono::milliseconds ping_interval{30000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds drain_period{5000};

  // Handshake policy
  std::vector<std::string> allowed_origins;   // empty: any
  std::vector<std::string> subprotocols;
  bool deflate = false;                       // permessage-deflate
  std::size_t deflate_min_size = 64;

  // Modes that drive the transport without the gateway protocol
  bool echo = false;       // /echo echoes every message
  bool broadcast = false;  // /broadcast sends every received message to every /broadcast peer

  // Logging
  std::string log_level = "info";             // LOGGER_LEVEL
  LogFormat log_format = LogFormat::console;  // LOGGER_ENCODING: console | json

  std::string config_file;                    // --config, SWITCHBOARD_CONFIG
};

// Outcome of loading: either a Config, or an exit: `exit_code` 0 after --help/--version
// (text on stdout), 2 for an invalid value (a message naming the option, on stderr).
struct LoadResult {
  std::optional<Config> config;
  int exit_code = 0;
  std::string message;
};

// Precedence: command-line flags > environment > TOML file (--config or SWITCHBOARD_CONFIG)
// > defaults. `environ` is passed in so tests can supply their own.
LoadResult load(int argc, const char* const* argv, const char* const* environ);

// The help text derived from the option table.
std::string help_text();

}  // namespace switchboard::config
