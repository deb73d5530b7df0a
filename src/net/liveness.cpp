#include "switchboard/net/liveness.hpp"

namespace switchboard::net {

LivenessAction check_liveness(const LivenessTimes& t, const LivenessConfig& c,
                              bool websocket_open) noexcept {
  if (deadline_passed(t.now, t.deadline)) return LivenessAction::deadline_passed;
  if (!websocket_open) return LivenessAction::none;
  const std::uint32_t silent = t.now - t.last_read;
  if (c.idle_timeout_ms != 0 && silent >= c.idle_timeout_ms) return LivenessAction::idle_timeout;
  // Ping once per interval of silence: a ping sent after the last read is still outstanding.
  const bool ping_outstanding = static_cast<std::int32_t>(t.last_ping - t.last_read) > 0;
  if (c.ping_interval_ms != 0 && silent >= c.ping_interval_ms && !ping_outstanding) {
    return LivenessAction::send_ping;
  }
  if (c.ping_interval_ms != 0 && ping_outstanding && t.now - t.last_ping >= c.ping_interval_ms) {
    return LivenessAction::send_ping;
  }
  return LivenessAction::none;
}

}  // namespace switchboard::net
