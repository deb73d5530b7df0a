#pragma once
// The gateway's application close codes (docs/protocol.md lists them with the transport's).
#include <cstdint>

namespace switchboard::node::close_code {

inline constexpr std::uint16_t kClientLeft = 1000;       // the client ended its session
inline constexpr std::uint16_t kAuthFailed = 4001;       // bad/missing token, auth service said no
inline constexpr std::uint16_t kTokenExpired = 4002;     // token expired and was not refreshed
inline constexpr std::uint16_t kTooManyConnections = 4003;  // max_connections_per_user
inline constexpr std::uint16_t kDisconnected = 4010;     // server API / library disconnect_user
inline constexpr std::uint16_t kRateLimited = 4029;      // repeated rate-limit violations
inline constexpr std::uint16_t kPolicyViolation = 1008;  // repeated bad requests

}  // namespace switchboard::node::close_code
