#pragma once
// Close codes (RFC 6455 §7.4) and Switchboard's application codes (4000-4999).
// docs/protocol.md lists every code a client can receive and what it means.
#include <cstdint>

namespace switchboard::ws::close_code {

inline constexpr std::uint16_t kNormal = 1000;
inline constexpr std::uint16_t kGoingAway = 1001;
inline constexpr std::uint16_t kProtocolError = 1002;
inline constexpr std::uint16_t kUnsupportedData = 1003;
inline constexpr std::uint16_t kNoStatus = 1005;  // never sent on the wire
inline constexpr std::uint16_t kAbnormal = 1006;  // never sent on the wire
inline constexpr std::uint16_t kInvalidPayload = 1007;
inline constexpr std::uint16_t kPolicyViolation = 1008;
inline constexpr std::uint16_t kMessageTooBig = 1009;
inline constexpr std::uint16_t kMandatoryExtension = 1010;
inline constexpr std::uint16_t kInternalError = 1011;
inline constexpr std::uint16_t kServiceRestart = 1012;
inline constexpr std::uint16_t kTryAgainLater = 1013;
inline constexpr std::uint16_t kTlsHandshake = 1015;  // never sent on the wire

// Application codes: the connection's outbound queue exceeded its byte bound.
inline constexpr std::uint16_t kSlowConsumer = 4008;
// The peer did not answer pings / sent nothing within the idle timeout.
inline constexpr std::uint16_t kIdleTimeout = 4009;

// True for a code a peer may legitimately put in a close frame (RFC 6455 §7.4.1/§7.4.2):
// 1000-1003, 1007-1014 and 3000-4999. 1004-1006, 1015 and everything below 1000 or above 4999
// are invalid on the wire and make the receiver fail the connection with 1002.
constexpr bool is_valid_on_wire(std::uint16_t code) noexcept {
  if (code >= 1000 && code <= 1003) return true;
  if (code >= 1007 && code <= 1014) return true;
  return code >= 3000 && code <= 4999;
}

}  // namespace switchboard::ws::close_code
