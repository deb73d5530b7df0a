#pragma once
// RedisPublishKeys: PublishKeys (publish_keys.hpp) on the channel's shard, in the key the Redis
// broker and history use (`P hr:<slot>`, history_scripts.hpp): claim_key_script() checks and
// writes it in one step, release_key_script() deletes it only while it holds our position.
//
// Thread safety: any thread; completions on the context's I/O thread (or `unavailable` at
// once on the caller's thread once the context stopped).
#include <memory>

#include "history_streams.hpp"
#include "redis_context.hpp"
#include "redis_script.hpp"
#include "switchboard/engine/publish_keys.hpp"

namespace switchboard::engine::redis {

class RedisPublishKeys final : public PublishKeys {
 public:
  // `streams`: the engine's history (RedisHistory::streams()).
  RedisPublishKeys(std::shared_ptr<RedisContext> context, std::shared_ptr<HistoryStreams> streams);

  void claim(const Publication& publication,
             ResultCallback<std::optional<StreamPosition>> done) override;
  void append(Publication publication, const HistoryOptions& options,
              ResultCallback<PublicationPtr> done) override;
  void release(const Publication& publication, Completion done) override;

 private:
  struct Scripts {
    RedisScript claim;
    RedisScript release;
  };
  std::shared_ptr<RedisContext> context_;
  std::shared_ptr<HistoryStreams> streams_;
  std::shared_ptr<const Scripts> scripts_;  // shared with calls posted to the I/O thread
};

}  // namespace switchboard::engine::redis
