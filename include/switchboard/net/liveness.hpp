#pragma once
// The liveness rules applied to each connection by its worker's periodic sweep: handshake
// timeout, server pings, idle timeout and the closing-handshake deadline. A pure function of
// times, so tests drive it with any clock.
#include <cstdint>

namespace switchboard::net {

struct LivenessTimes {
  std::uint32_t now = 0;        // ms, wrapping; every comparison is by difference
  std::uint32_t last_read = 0;  // last byte received
  std::uint32_t last_ping = 0;  // last ping sent
  std::uint32_t deadline = 0;   // handshake/closing deadline; 0 = none
};

struct LivenessConfig {
  std::uint32_t ping_interval_ms = 30000;  // 0: never ping
  std::uint32_t idle_timeout_ms = 60000;   // 0: never time out
};

enum class LivenessAction { none, send_ping, idle_timeout, deadline_passed };

// Phase-independent rule set: a passed deadline wins; then, for an open WebSocket, silence for
// idle_timeout closes it and silence for ping_interval (with no ping sent since) sends a ping.
LivenessAction check_liveness(const LivenessTimes& t, const LivenessConfig& c,
                              bool websocket_open) noexcept;

// True when `deadline` (non-zero) is at or before `now`, with wrap-around.
constexpr bool deadline_passed(std::uint32_t now, std::uint32_t deadline) noexcept {
  return deadline != 0 && static_cast<std::int32_t>(now - deadline) >= 0;
}

}  // namespace switchboard::net
