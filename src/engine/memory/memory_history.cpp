// MemoryHistory: per-channel rings of publications, sharded by channel hash.
#include "switchboard/engine/memory/memory_history.hpp"

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "complete_on_exit.hpp"
#include "string_map.hpp"
#include "sweeper.hpp"

namespace switchboard::engine {
namespace {

struct Stream {
  std::string epoch;
  std::uint64_t top = 0;             // offset of the newest publication; 0 before any
  std::deque<PublicationPtr> items;  // oldest first: offsets top - size + 1 … top
  TimePoint expires;                 // live while now < expires
};

// Where recovery from `since` starts in `stream.items`, or nullopt when something after
// `since` is not there any more (or never was: another epoch, an offset ahead of the stream),
// or when more than `limit` publications followed it.
std::optional<std::size_t> resume_index(const Stream& stream, const StreamPosition& since,
                                        std::size_t limit) {
  if (since.epoch != stream.epoch || since.offset > stream.top) return std::nullopt;
  const std::uint64_t missed = stream.top - since.offset;
  if (missed > stream.items.size() || missed > limit) return std::nullopt;
  return stream.items.size() - static_cast<std::size_t>(missed);
}

}  // namespace

struct MemoryHistory::Impl {
  struct Shard {
    mutable std::mutex mu;
    memory_detail::StringMap<Stream> streams;
    memory_detail::Sweeper sweeper;
  };

  NowFn now;
  std::chrono::milliseconds empty_stream_ttl;
  memory_detail::Sharded<Shard> shards;

  // The live stream of `channel`; a missing or expired one is (re)started with a new epoch and
  // `expires` as its expiry. Called under shard.mu.
  static Stream& live_stream(Shard& shard, std::string_view channel, TimePoint at,
                             TimePoint expires) {
    auto it = shard.streams.find(channel);
    if (it == shard.streams.end()) {
      it = shard.streams.emplace(std::string(channel), Stream{}).first;
    } else if (at < it->second.expires) {
      return it->second;
    }
    it->second = Stream{new_epoch(), 0, {}, expires};
    return it->second;
  }

  // Called under shard.mu, after the caller is done with any Stream reference.
  static void maybe_sweep(Shard& shard, TimePoint at) {
    if (!shard.sweeper.tick()) return;
    shard.sweeper.sweep(shard.streams, [at](const Stream& s) { return at >= s.expires; });
  }
};

MemoryHistory::MemoryHistory(NowFn now, std::chrono::milliseconds empty_stream_ttl)
    : impl_(std::make_unique<Impl>()) {
  impl_->now = std::move(now);
  impl_->empty_stream_ttl = empty_stream_ttl;
}

MemoryHistory::~MemoryHistory() = default;

void MemoryHistory::append(Publication publication, const HistoryOptions& options,
                           ResultCallback<PublicationPtr> done) {
  // Built before taking the lock; only offset and epoch are filled in under it.
  auto stored = std::make_shared<Publication>(std::move(publication));
  const TimePoint at = impl_->now();
  const TimePoint expires = at + options.ttl;
  Impl::Shard& shard = impl_->shards.for_key(stored->channel);
  {
    std::lock_guard lock(shard.mu);
    Stream& stream = Impl::live_stream(shard, stored->channel, at, expires);
    stored->offset = ++stream.top;
    stored->epoch = stream.epoch;
    stream.expires = expires;
    if (options.size > 0) stream.items.push_back(stored);
    while (stream.items.size() > options.size) stream.items.pop_front();
    Impl::maybe_sweep(shard, at);
  }
  if (done) done({}, std::move(stored));
}

void MemoryHistory::read(std::string_view channel, std::optional<StreamPosition> since,
                         std::size_t limit, ResultCallback<HistoryResult> done) {
  HistoryResult result;
  const TimePoint at = impl_->now();
  Impl::Shard& shard = impl_->shards.for_key(channel);
  {
    std::lock_guard lock(shard.mu);
    const Stream& stream = Impl::live_stream(shard, channel, at, at + impl_->empty_stream_ttl);
    result.position = {stream.top, stream.epoch};
    std::optional<std::size_t> first;
    if (since) {
      first = resume_index(stream, *since, limit);
      result.recovered = first.has_value();
    }
    if (!first) first = stream.items.size() - std::min(limit, stream.items.size());
    result.publications.assign(stream.items.begin() + static_cast<std::ptrdiff_t>(*first),
                               stream.items.end());
    Impl::maybe_sweep(shard, at);
  }
  if (done) done({}, std::move(result));
}

void MemoryHistory::remove(std::string_view channel, Completion done) {
  const memory_detail::CompleteOnExit complete(std::move(done));  // after the lock
  Impl::Shard& shard = impl_->shards.for_key(channel);
  std::lock_guard lock(shard.mu);
  const auto it = shard.streams.find(channel);
  if (it != shard.streams.end()) shard.streams.erase(it);
}

std::size_t MemoryHistory::stream_count() const {
  return impl_->shards.total([](const Impl::Shard& s) { return s.streams.size(); });
}

}  // namespace switchboard::engine
