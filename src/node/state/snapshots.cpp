#include "snapshots.hpp"

#include <spdlog/spdlog.h>
#include <zstd.h>

namespace switchboard::node {
namespace {

std::string compress(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const std::size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  if (ZSTD_isError(n)) return {};
  out.resize(n);
  return out;
}

std::optional<std::string> decompress(const std::string& data) {
  const unsigned long long size = ZSTD_getFrameContentSize(data.data(), data.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) return std::nullopt;
  std::string out(static_cast<std::size_t>(size), '\0');
  const std::size_t n = ZSTD_decompress(out.data(), out.size(), data.data(), data.size());
  if (ZSTD_isError(n)) return std::nullopt;
  out.resize(n);
  return out;
}

void complete(std::vector<engine::Completion>& waiters, std::error_code ec) {
  for (auto& done : waiters) {
    if (done) done(ec);
  }
}

}  // namespace

Snapshots::Snapshots(std::vector<std::string> snapshot_types, std::chrono::milliseconds interval,
                     TtlFn ttl, engine::SnapshotStore& store, engine::NowFn now,
                     FailureFn on_failure)
    : types_(snapshot_types.begin(), snapshot_types.end()),
      interval_(interval),
      ttl_(std::move(ttl)),
      store_(store),
      now_(std::move(now)),
      on_failure_(std::move(on_failure)) {}

void Snapshots::observe(const engine::Publication& publication) {
  if (types_.empty() || types_.find(publication.type) == types_.end()) return;
  set(publication.channel, publication.payload);
}

void Snapshots::set(const std::string& channel, std::string payload_json, engine::Completion done) {
  const engine::TimePoint now = now_();
  const auto ttl = ttl_(channel);
  auto json = std::make_shared<const std::string>(std::move(payload_json));
  std::optional<Write> write;
  {
    std::lock_guard lock(mutex_);
    Entry& entry = entries_[channel];
    if (!entry.waiting) entry.waiting.emplace();
    // A newer state replaces the one waiting; whoever waited for that one is answered by the
    // write of this one.
    entry.waiting->json = std::move(json);
    entry.waiting->expires = now + ttl;
    if (done) entry.waiting->waiters.push_back(std::move(done));
    write = take_due_locked(channel, entry, now);
  }
  if (write) start(std::move(*write));
}

std::optional<Snapshots::Write> Snapshots::take_due_locked(const std::string& channel,
                                                           Entry& entry, engine::TimePoint now) {
  if (!entry.waiting || entry.writing) return std::nullopt;
  if (entry.wrote && now - entry.last_write < interval_) return std::nullopt;
  Write write{channel, std::move(*entry.waiting)};
  entry.waiting.reset();
  entry.writing = write.state.json;
  entry.last_write = now;
  entry.wrote = true;
  return write;
}

void Snapshots::start(Write write) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(write.state.expires -
                                                                          now_());
  if (left.count() <= 0) {
    // Expired before it could be written: what the store would have answered from now on is
    // "none" — and it stops answering the previous state no later than this one's expiry.
    return written(write.channel, write.state.json, {}, std::move(write.state.waiters));
  }
  std::string bytes = compress(*write.state.json);
  writes_.fetch_add(1, std::memory_order_relaxed);
  store_.set(write.channel, std::move(bytes), left,
             [this, channel = write.channel, json = write.state.json,
              waiters = std::move(write.state.waiters)](std::error_code ec) mutable {
               written(channel, json, ec, std::move(waiters));
             });
}

void Snapshots::written(const std::string& channel, const std::shared_ptr<const std::string>& json,
                        std::error_code ec, std::vector<engine::Completion> waiters) {
  if (ec) {
    spdlog::warn("snapshot of {} not stored: {}", channel, ec.message());
    if (on_failure_) on_failure_(ec);
  }
  std::optional<Write> next;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(channel);
    if (it != entries_.end() && it->second.writing == json) {
      it->second.writing.reset();
      next = take_due_locked(channel, it->second, now_());
    }
  }
  complete(waiters, ec);
  if (next) start(std::move(*next));
}

void Snapshots::get(const std::string& channel,
                    engine::ResultCallback<std::optional<Snapshot>> done) {
  std::shared_ptr<const std::string> own;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(channel);
    if (it != entries_.end()) {
      const Entry& entry = it->second;
      own = entry.waiting ? entry.waiting->json : entry.writing;
    }
  }
  if (own) return done({}, Snapshot{std::move(own), {}});
  store_.get(channel, [done = std::move(done)](std::error_code ec,
                                               std::optional<std::string> bytes) {
    if (ec || !bytes) return done(ec, std::nullopt);
    done({}, Snapshot{nullptr, std::move(*bytes)});
  });
}

std::optional<std::string> Snapshots::json(const Snapshot& snapshot) {
  if (snapshot.json) return *snapshot.json;
  auto text = decompress(snapshot.compressed);
  if (!text) {
    undecodable_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("a stored snapshot ({} bytes) is not a zstd frame: ignored",
                 snapshot.compressed.size());
  }
  return text;
}

void Snapshots::flush() {
  const engine::TimePoint now = now_();
  std::vector<Write> due;
  std::vector<engine::Completion> expired;
  {
    std::lock_guard lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end();) {
      Entry& entry = it->second;
      if (entry.waiting && now >= entry.waiting->expires) {
        for (auto& done : entry.waiting->waiters) expired.push_back(std::move(done));
        entry.waiting.reset();
      }
      if (auto write = take_due_locked(it->first, entry, now)) due.push_back(std::move(*write));
      // Nothing waiting or in flight, and the interval over: nothing left to remember.
      const bool idle = !entry.waiting && !entry.writing &&
                        (!entry.wrote || now - entry.last_write >= interval_);
      it = idle ? entries_.erase(it) : std::next(it);
    }
  }
  complete(expired, {});
  for (auto& write : due) start(std::move(write));
}

std::size_t Snapshots::held_bytes() const {
  std::lock_guard lock(mutex_);
  std::size_t total = 0;
  for (const auto& [channel, entry] : entries_) {
    if (entry.waiting) total += entry.waiting->json->size();
    if (entry.writing) total += entry.writing->size();
  }
  return total;
}

}  // namespace switchboard::node
