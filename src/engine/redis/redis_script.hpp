#pragma once
// RedisScript: a Lua script run with EVALSHA, loaded again when Redis forgot it.
//
// The SHA1 is computed here at construction (it is what SCRIPT LOAD would answer), so run()
// never waits for a load: it sends `EVALSHA <sha> <numkeys> keys... args...`. If Redis
// answers NOSCRIPT (after SCRIPT FLUSH, a restart, or a failover to a server that never saw
// the script) — which means the script did not run — it sends `SCRIPT LOAD <body>` and the
// same EVALSHA again, pipelined (one round trip), once. A second NOSCRIPT is returned to the
// caller as the error reply it is.
//
// Order: calls on one connection normally complete in the order they were made. A retried
// call does not: its second EVALSHA is sent after every command issued meanwhile, so it runs
// (and completes) after calls made later. This only happens in the window after Redis lost
// its scripts; a caller that needs strict order across such a window must wait for each
// completion before the next call.
//
// load() sends SCRIPT LOAD alone: call it from RedisConnection::on_connected() so that the
// first run() after a reconnect normally finds the script.
//
// Thread safety: as RedisConnection (the connection's executor). The script's text is
// shared with pending calls, so a RedisScript may be destroyed while calls are in flight.
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "redis_connection.hpp"

namespace switchboard::engine::redis {

class RedisScript {
 public:
  explicit RedisScript(std::string body);

  const std::string& sha1() const noexcept { return state_->sha1; }
  const std::string& body() const noexcept { return state_->body; }
  // NOSCRIPT answers that led to a reload, over every call of this script.
  std::uint64_t reloads() const noexcept { return state_->reloads; }

  // SCRIPT LOAD; `done` gets the reply (the SHA1 as a string) or the error.
  void load(RedisConnection& conn, RedisConnection::Callback done) const;

  // EVALSHA with `keys` and `args` (binary safe), reloading once on NOSCRIPT (see above).
  // `done` as for RedisConnection::command(). `conn` must outlive the call.
  void run(RedisConnection& conn, std::span<const std::string_view> keys,
           std::span<const std::string_view> args, RedisConnection::Callback done) const;

 private:
  struct State {
    std::string body;
    std::string sha1;  // lowercase hex, as Redis prints it
    std::uint64_t reloads = 0;
  };
  std::shared_ptr<State> state_;
};

}  // namespace switchboard::engine::redis
