#pragma once
// MemoryHistory: the single-node HistoryStore. Per channel, a ring of the last `size`
// publications with their offsets, an epoch (8 random hex digits, new whenever a stream is
// created or re-created) and an expiry `ttl` after the last append, checked against the
// injected clock whenever the channel is touched. Streams of channels nobody touches any
// more are swept a few at a time as other channels are used, so memory follows the live
// channels, not every channel ever seen.
//
// Limits: everything is lost on restart (clients see a new epoch and are told "not
// recovered"); memory is about size × (publication + 16 bytes) per live channel.
//
// Thread safety: every method may be called from any thread concurrently (16 shards by
// channel hash, one mutex each). Callbacks run on the caller's thread before the call
// returns, outside the lock.
#include <chrono>
#include <cstddef>
#include <memory>

#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/history_store.hpp"

namespace switchboard::engine {

class MemoryHistory final : public HistoryStore {
 public:
  // `empty_stream_ttl`: how long a stream that read() started, and nobody appended to, keeps
  // its epoch.
  explicit MemoryHistory(NowFn now = system_now(),
                         std::chrono::milliseconds empty_stream_ttl = HistoryOptions{}.ttl);
  ~MemoryHistory() override;

  void append(Publication publication, const HistoryOptions& options,
              ResultCallback<PublicationPtr> done) override;
  void read(std::string_view channel, std::optional<StreamPosition> since, std::size_t limit,
            ResultCallback<HistoryResult> done) override;
  void remove(std::string_view channel, Completion done) override;

  // Streams held, expired ones not yet swept included (for tests and metrics).
  std::size_t stream_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchboard::engine
