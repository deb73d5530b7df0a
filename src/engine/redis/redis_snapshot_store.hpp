#pragma once
// RedisSnapshotStore: the SnapshotStore on Redis. One string per channel on the channel's
// shard, `P sn:<channel>` = "<logical expiry ms>:" + the bytes, written with one SET ... PX
// (Redis's TTL is the logical one plus gc_slack: garbage collection only) and read with one
// GET whose expiry is checked against the context's logical clock. Last writer wins across
// nodes; a snapshot is a state, not a log.
//
// Thread safety: as every Redis store (redis_context.hpp): calls from any thread are posted to
// the context's I/O thread, and complete there.
#include <memory>

#include "redis_context.hpp"
#include "switchboard/engine/snapshot_store.hpp"

namespace switchboard::engine::redis {

class RedisSnapshotStore final : public SnapshotStore {
 public:
  explicit RedisSnapshotStore(std::shared_ptr<RedisContext> context);

  void set(std::string_view channel, std::string bytes, std::chrono::milliseconds ttl,
           Completion done) override;
  void get(std::string_view channel, ResultCallback<std::optional<std::string>> done) override;
  void remove(std::string_view channel, Completion done) override;

 private:
  std::shared_ptr<RedisContext> context_;
};

}  // namespace switchboard::engine::redis
