#pragma once
// Errors of the Redis client layer (RedisConnection, RedisSubscriber, RedisScript), and how
// they map onto the engine's EngineErrc, which is what engine callers see.
//
// Two families, because they mean different things to a caller:
// - "nothing was sent" (not_connected, too_many_in_flight): the command had no effect and may
//   be retried at will;
// - "sent, outcome unknown" (timeout, connection_lost): Redis may or may not have executed it.
// An error *reply* from Redis (error_reply) means the command ran and Redis refused it; the
// reply carries Redis's text ("WRONGTYPE ...", "NOSCRIPT ...").
#include <system_error>

namespace switchboard::engine::redis {

enum class RedisErrc {
  not_connected = 1,    // the connection is connecting or down: nothing was sent
  too_many_in_flight,   // max_in_flight commands await replies: nothing was sent (counted)
  timeout,              // no reply within command_timeout: the connection was reset
  connection_lost,      // the connection failed while the command awaited its reply
  error_reply,          // Redis answered with an error reply (see RedisReply::str)
  shut_down,            // the connection object was destroyed with the command pending
  unsupported_command,  // (P)(UN)SUBSCRIBE or MONITOR on a command connection: not sent
  // Reasons a connection is down (RedisConnection::last_error()), never a command's:
  resolve_failed,  // the host name did not resolve
  connect_failed,  // TCP connect refused, unreachable, or not done within connect_timeout
  auth_failed,     // AUTH refused (WRONGPASS), or the server wants a password (NOAUTH)
  setup_failed,    // SELECT or the first PING refused (bad database, server LOADING, ...)
};

const std::error_category& redis_category() noexcept;

inline std::error_code make_error_code(RedisErrc e) noexcept {
  return {static_cast<int>(e), redis_category()};
}

// The EngineErrc a backend reports for a client error: `unavailable` when the call had no
// effect (nothing sent, or Redis refused it), `timeout` when its effect is unknown (timeout,
// connection_lost). A success stays a success; an error of another category is returned as is.
std::error_code to_engine_error(std::error_code ec) noexcept;

}  // namespace switchboard::engine::redis

template <>
struct std::is_error_code_enum<switchboard::engine::redis::RedisErrc> : std::true_type {};
