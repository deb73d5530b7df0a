#pragma once
// ShardScript: a Lua script the engine runs on the shards of a RedisContext, loaded on each
// server before its first use there.
//
// RedisScript alone sends EVALSHA and, on NOSCRIPT, reloads and retries — but the retry runs
// after every command issued meanwhile, so a caller's later call could take effect first.
// That window opens whenever a server is new to the script: the first call after start, after
// a Redis restart or a failover. ShardScript closes it for those cases: before the first
// EVALSHA on a server (known by the run_id the context read from INFO) it pipelines SCRIPT
// LOAD on the same connection, so the load is executed before the EVALSHA and every later
// call. Only a SCRIPT FLUSH on a running server still reaches RedisScript's retry (rare,
// documented there).
//
// Thread safety: the context's I/O thread only. Pending calls keep what they need: a
// ShardScript may be destroyed while its calls are in flight.
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "redis_context.hpp"
#include "redis_script.hpp"

namespace switchboard::engine::redis {

class ShardScript {
 public:
  explicit ShardScript(std::string body);

  const RedisScript& script() const noexcept { return script_; }

  // EVALSHA on `shard`; `done` runs once on the I/O thread. A shard that is not ready fails
  // with RedisErrc::not_connected (posted) and nothing is sent.
  void run(RedisContext& context, std::size_t shard, std::span<const std::string_view> keys,
           std::span<const std::string_view> args, RedisConnection::Callback done);

 private:
  RedisScript script_;
  // Per shard, the run_id of the server SCRIPT LOAD was last sent to (empty: none). Shared
  // with the load's completion, which forgets it when the load did not get through.
  std::shared_ptr<std::vector<std::string>> loaded_on_ =
      std::make_shared<std::vector<std::string>>();
};

}  // namespace switchboard::engine::redis
