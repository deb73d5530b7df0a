#pragma once
// RedisNodeRegistry: the NodeRegistry on Redis, shared by every node (docs/engine.md, "The
// Redis stores"). One key per user, on shard(user):
//   ru:<user>  ZSET node_id → expiry ms (the logical clock decides which nodes are live)
// register_user is a script (ZADD, TTL raised to ttl + gc slack, never lowered), one round
// trip; unregister_user a ZREM; nodes_of drops the expired nodes and lists the live ones (two
// pipelined commands, one round trip). Node heartbeats (which nodes are alive) belong to the
// broker, not here.
//
// Thread safety: every method may be called from any thread concurrently. Callbacks run on the
// context's I/O thread, exactly once; calls from one thread take effect in call order. The
// registry may be destroyed with calls pending (they complete all the same).
#include <chrono>
#include <memory>

#include "redis_context.hpp"
#include "switchboard/engine/node_registry.hpp"

namespace switchboard::engine::redis {

class RedisNodeRegistry final : public NodeRegistry {
 public:
  explicit RedisNodeRegistry(std::shared_ptr<RedisContext> context);
  ~RedisNodeRegistry() override;

  void register_user(std::string_view user_id, std::string_view node_id,
                     std::chrono::milliseconds ttl, Completion done) override;
  void unregister_user(std::string_view user_id, std::string_view node_id,
                       Completion done) override;
  void nodes_of(std::string_view user_id, ResultCallback<std::vector<std::string>> done) override;

 private:
  struct Shared;
  std::shared_ptr<RedisContext> context_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace switchboard::engine::redis
