#pragma once
// RedisOfflineStore: the OfflineStore on Redis, shared by every node (docs/engine.md, "The
// Redis stores"). One key per user, on shard(user):
//   of:<user>  LIST "<expiry ms>:" put_field(message id) positioned-publication, oldest first
//              (publication_codec.hpp); TTL = the latest expiry held + gc slack.
// push and take are one script each (store_scripts.hpp), one round trip. Both are atomic on
// the shard: two nodes taking at once never both get a message, and a push never lands
// between a take's read and its delete. A push with max_messages 0 answers 1 without Redis.
//
// Thread safety: every method may be called from any thread concurrently. Callbacks run on the
// context's I/O thread, exactly once; calls from one thread take effect in call order. The
// store may be destroyed with calls pending (they complete all the same).
#include <atomic>
#include <cstdint>
#include <memory>

#include "redis_context.hpp"
#include "switchboard/engine/offline_store.hpp"

namespace switchboard::engine::redis {

class RedisOfflineStore final : public OfflineStore {
 public:
  explicit RedisOfflineStore(std::shared_ptr<RedisContext> context);
  ~RedisOfflineStore() override;

  void push(std::string_view user_id, PublicationPtr publication, const OfflineLimits& limits,
            ResultCallback<std::size_t> done) override;
  void take(std::string_view user_id, ResultCallback<std::vector<PublicationPtr>> done) override;

  // Taken entries that could not be decoded (dropped; written by another version).
  std::uint64_t undecodable() const noexcept;

 private:
  struct Shared;
  std::shared_ptr<RedisContext> context_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace switchboard::engine::redis
