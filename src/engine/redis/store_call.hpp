#pragma once
// How a Redis store runs one engine call: the caller's arguments, already copied into owned
// values (and the logical time read on the caller's thread, so a ManualClock advanced right
// after the call does not move it), travel in `work` to the context's I/O thread, where the
// commands are issued; the completion then runs on the I/O thread, exactly once. A context
// that no longer accepts work (stopped) completes the call at once, on the caller's thread,
// with `unavailable`.
//
// Lifetime: `work` and the command callbacks capture the store's shared state (scripts, a
// plain pointer to the context), never the store: a store may be destroyed with calls
// pending. The context outlives every callback it runs (its destructor joins the I/O thread
// after running what is queued); do not destroy the context from a completion.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "io_call.hpp"
#include "redis_context.hpp"
#include "switchboard/engine/error.hpp"

namespace switchboard::engine::redis::store_detail {

// The callback of a mutation's last command: completes `done` with the engine's error for
// what the command got (`what` names the call in logs).
inline RedisConnection::Callback mutation_done(const RedisContext& context, Completion done,
                                               const char* what) {
  return [&context, done = std::move(done), what](std::error_code ec, RedisReply reply) {
    complete(done, context.engine_error(ec, reply, what));
  };
}

// For a reply of the wrong shape (a bug, or keys written by something else): logged, and the
// call fails with `unavailable`.
inline std::error_code unexpected_reply(const char* what, const RedisReply& reply) {
  spdlog::error("redis: unexpected reply to {}: {}", what, to_string(reply));
  return EngineErrc::unavailable;
}

// The callback of a read's last command: a reply of `type` goes to `parse(RedisReply&)`,
// which returns the std::optional<T> to complete `done` with (nullopt: a reply of the wrong
// shape); an error fails `done`.
template <class T, class Parse>
RedisConnection::Callback result_done(const RedisContext& context, ResultCallback<T> done,
                                      const char* what, RedisReply::Type type, Parse parse) {
  return [&context, done = std::move(done), what, type, parse = std::move(parse)](
             std::error_code ec, RedisReply reply) {
    if (ec) return complete(done, context.engine_error(ec, reply, what));
    std::optional<T> value;
    if (reply.type == type) value = parse(reply);
    if (!value) return complete(done, unexpected_reply(what, reply));
    complete(done, {}, std::move(*value));
  };
}

// A reply that is a count (a `parse` for result_done with RedisReply::Type::integer).
inline std::optional<std::size_t> parse_count(RedisReply& reply) {
  if (reply.integer < 0) return std::nullopt;
  return static_cast<std::size_t>(reply.integer);
}

// On the I/O thread: `member` of the ZSET `key` lives until `expiry_ms` (ZADD, and the key's
// TTL raised to ttl + gc slack). touch_user().
inline void refresh_member(RedisContext& context, const RedisScript& zset_refresh,
                           std::size_t shard, const std::string& key, const std::string& member,
                           std::int64_t expiry_ms, std::chrono::milliseconds ttl, Completion done,
                           const char* what) {
  context.run_script(shard, zset_refresh, {key},
                     {std::to_string(expiry_ms), member, context.gc_ttl_text(ttl)},
                     mutation_done(context, std::move(done), what));
}

}  // namespace switchboard::engine::redis::store_detail
