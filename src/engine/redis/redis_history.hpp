#pragma once
// RedisHistory: the HistoryStore on Redis (docs/engine.md "Redis engine: Broker and History").
// Per channel a STREAM (entry ID = offset) and a meta HASH (epoch, top offset, logical expiry,
// the server's run_id) on the channel's shard; append and read are one script each, one round
// trip; remove is one DEL. Expiry is logical (the context's clock, so a ManualClock drives it);
// Redis TTLs (ttl + gc_slack) only collect what is dead. RedisBroker::publish appends to the
// same streams, so this store reads what the broker published.
//
// A Redis restart or failover starts every stream again under a new epoch (the meta hash
// remembers the run_id it was written under): positions from before are `not recovered`.
//
// Thread safety: every method may be called from any thread. Calls are posted to the context's
// I/O thread and complete there (never on the caller's thread, except `unavailable` at once
// once the context stopped); calls from one thread take effect in order (one connection per
// shard). The store may be destroyed with calls pending (they still complete once), but not
// on the I/O thread, i.e. not inside one of its own completions.
#include <chrono>
#include <memory>

#include "history_streams.hpp"
#include "redis_context.hpp"
#include "switchboard/engine/history_store.hpp"

namespace switchboard::engine::redis {

class RedisHistory final : public HistoryStore {
 public:
  // `empty_stream_ttl`: how long a stream that read() started, and nobody appended to, keeps
  // its epoch.
  explicit RedisHistory(std::shared_ptr<RedisContext> context,
                        std::chrono::milliseconds empty_stream_ttl = HistoryOptions{}.ttl);

  void append(Publication publication, const HistoryOptions& options,
              ResultCallback<PublicationPtr> done) override;
  void read(std::string_view channel, std::optional<StreamPosition> since, std::size_t limit,
            ResultCallback<HistoryResult> done) override;
  void remove(std::string_view channel, Completion done) override;

  const HistoryStreamStats& stats() const noexcept { return streams_->stats(); }
  // For RedisPublishKeys::append (the same streams, with the key taken).
  const std::shared_ptr<HistoryStreams>& streams() const noexcept { return streams_; }

 private:
  std::shared_ptr<RedisContext> context_;
  // Shared with the calls posted to the I/O thread, which may run after the store is gone.
  std::shared_ptr<HistoryStreams> streams_;
};

}  // namespace switchboard::engine::redis
