// The option table: the single place where an option is declared. Adding an option is one
// entry here plus its Config member; flags, environment names, TOML keys, validation, --help
// and the table in docs/config.md (see tests/unit/config/docs_test.cpp) all follow from it.
#include <cctype>

#include "option_spec.hpp"

namespace switchboard::config {
namespace {

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = 1024 * kKiB;
constexpr std::uint64_t kGiB = 1024 * kMiB;
constexpr std::uint64_t kSecond = 1000;
constexpr std::uint64_t kMinute = 60 * kSecond;
constexpr std::uint64_t kHour = 60 * kMinute;

using T = OptionType;

std::vector<OptionSpec> build_table() {
  // clang-format off
  std::vector<OptionSpec> t;
  // Listening
  t.push_back(option("bind_address", T::string, &Config::bind_address, "Address to listen on (IPv4 or IPv6)."));
  t.push_back(option("port", T::uint, &Config::port, "TCP port to listen on.").range(1, 65535).env("WSGATEWAY_PORT"));
  t.push_back(option("workers", T::uint, &Config::workers, "Worker threads, each with its own event loop and listening socket; 0 means one per CPU core.").range(0, 256));
  t.push_back(option("ws_path", T::string, &Config::ws_path, "Path of the gateway's WebSocket endpoint.").prefix("/"));
  // Transport limits
  t.push_back(option("max_message_size", T::size, &Config::max_message_size, "Largest inbound WebSocket message (after reassembly and inflation); larger ones close the connection with 1009.").range(125, kGiB));
  t.push_back(option("max_request_size", T::size, &Config::max_request_size, "Largest HTTP request line plus headers (upgrade requests and HTTP endpoints).").range(kKiB, kMiB));
  t.push_back(option("max_body_size", T::size, &Config::max_body_size, "Largest HTTP request body (server API).").range(0, kGiB));
  t.push_back(option("outbound_queue_limit", T::size, &Config::outbound_queue_limit, "Bytes queued for one connection before it is disconnected as a slow consumer.").range(4 * kKiB, kGiB));
  t.push_back(option("handshake_timeout", T::duration, &Config::handshake_timeout, "Time allowed from TCP accept to a completed WebSocket upgrade.").range(1, 10 * kMinute));
  t.push_back(option("ping_interval", T::duration, &Config::ping_interval, "Interval between server pings on an idle connection; 0 disables pings.").range(0, kHour));
  t.push_back(option("idle_timeout", T::duration, &Config::idle_timeout, "A connection that sends nothing (not even a pong) for this long is closed; 0 disables.").range(0, 24 * kHour));
  t.push_back(option("drain_period", T::duration, &Config::drain_period, "On SIGTERM, time given to connections to close before they are cut.").range(0, 10 * kMinute));
  // Handshake policy
  t.push_back(option("allowed_origins", T::string_list, &Config::allowed_origins, "Origins allowed to connect (exact match); empty allows any."));
  t.push_back(option("subprotocols", T::string_list, &Config::subprotocols, "WebSocket subprotocols offered, in order of preference."));
  t.push_back(option("deflate", T::boolean, &Config::deflate, "Negotiate permessage-deflate (RFC 7692)."));
  t.push_back(option("deflate_min_size", T::size, &Config::deflate_min_size, "Outbound messages smaller than this are sent uncompressed.").range(0, kGiB));
  // Transport test modes
  t.push_back(option("echo", T::boolean, &Config::echo, "Serve /echo: every message is sent back to its sender."));
  t.push_back(option("broadcast", T::boolean, &Config::broadcast, "Serve /broadcast: every message is sent to every /broadcast connection."));
  // Logging
  t.push_back(choice("log_level", &Config::log_level, {"trace", "debug", "info", "warn", "error", "critical", "off"}, "Least severe level logged.").env("LOGGER_LEVEL"));
  t.push_back(choice("log_format", &Config::log_format, {{"console", LogFormat::console}, {"json", LogFormat::json}}, "Log line format: human-readable console, or one JSON object per line.").env("LOGGER_ENCODING"));
  t.push_back(option("config", T::string, &Config::config_file, "TOML file to read options from (flags and environment override it).").not_in_file());
  // clang-format on
  return t;
}

std::string transform_name(std::string_view name, char separator, bool upper) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (c == '_') {
      out.push_back(separator);
    } else {
      out.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
    }
  }
  return out;
}

}  // namespace

const std::vector<OptionSpec>& option_table() {
  static const std::vector<OptionSpec> table = build_table();
  return table;
}

std::string flag_name(const OptionSpec& spec) {
  return "--" + transform_name(spec.name, '-', false);
}

std::string env_name(const OptionSpec& spec) {
  return "SWITCHBOARD_" + transform_name(spec.name, '_', true);
}

std::vector<std::string> env_names(const OptionSpec& spec) {
  std::vector<std::string> names{env_name(spec)};
  for (auto alias : spec.env_aliases) names.emplace_back(alias);
  return names;
}

}  // namespace switchboard::config
