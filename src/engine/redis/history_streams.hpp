#pragma once
// HistoryStreams: the channel streams in Redis (keys and scripts: history_scripts.hpp), shared
// by RedisHistory (append, read, remove) and RedisBroker (publish with history = append and
// PUBLISH in one script, one round trip).
//
// Every operation is one command on the channel's shard. Replies are turned into the engine's
// values here: the stored publication (offset and epoch from the script), or a HistoryResult
// (entries decoded from their `d` field; an entry that does not decode is dropped, counted in
// stats().undecodable_entries, and makes the read `recovered = false`: the caller did lose it).
// A reply of the wrong shape (a bug) is logged and completes with `unavailable`.
//
// Thread safety: construct anywhere; the operations run on the context's I/O thread and
// complete there. Their completions keep what they need, so a HistoryStreams may be destroyed
// with calls in flight. The context must outlive it.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "redis_context.hpp"
#include "redis_script.hpp"
#include "switchboard/engine/history_store.hpp"

namespace switchboard::engine::redis {

struct HistoryStreamStats {
  std::atomic<std::uint64_t> undecodable_entries{0};  // stream entries not in our format
};

// One append, prepared on the caller's thread (the encoding is the costly part), run on the
// I/O thread.
struct AppendRequest {
  Publication publication;  // the stored copy gets offset and epoch from the script
  std::string body;         // encode_body(publication)
  HistoryOptions options;
  std::string pubsub_channel;  // also PUBLISH there (the broker); empty: store only
  // Check and take the publication's idempotency key in the same step even without a Pub/Sub
  // channel (a relay broker's append, redis_publish_keys.hpp); a publish always does.
  bool take_key = false;

  static AppendRequest make(Publication publication, const HistoryOptions& options,
                            std::string pubsub_channel);
};

// The idempotency key of `publication` in Redis, `P hr:<idempotency_slot>` (history_scripts.hpp).
std::string seen_key(const RedisContext& context, const Publication& publication);

// Fills `published` from a publish script's reply, {offset, epoch} or {offset, epoch, 1} for a
// duplicate (history_scripts.hpp); false (logged: a bug) when the reply has another shape.
bool take_publish_reply(RedisReply& reply, Publication& published);

class HistoryStreams {
 public:
  // `empty_stream_ttl`: how long a stream that read() started, and nobody appended to, keeps
  // its epoch (as MemoryHistory's).
  HistoryStreams(RedisContext& context, std::chrono::milliseconds empty_stream_ttl);

  // I/O thread only.
  void append(AppendRequest request, ResultCallback<PublicationPtr> done);
  void read(const std::string& channel, const std::optional<StreamPosition>& since,
            std::size_t limit, ResultCallback<HistoryResult> done);
  void remove(const std::string& channel, Completion done);

  const HistoryStreamStats& stats() const noexcept { return *stats_; }

 private:
  RedisContext& context_;
  std::chrono::milliseconds empty_stream_ttl_;
  RedisScript append_script_;
  RedisScript read_script_;
  std::shared_ptr<HistoryStreamStats> stats_ = std::make_shared<HistoryStreamStats>();
};

}  // namespace switchboard::engine::redis
