#include "snapshots.hpp"

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

}  // namespace

Snapshots::Snapshots(std::vector<std::string> snapshot_types, std::chrono::milliseconds interval,
                     TtlFn ttl, engine::NowFn now)
    : types_(snapshot_types.begin(), snapshot_types.end()),
      interval_(interval),
      ttl_(std::move(ttl)),
      now_(std::move(now)) {}

void Snapshots::observe(const engine::Publication& publication) {
  if (types_.empty() || types_.find(publication.type) == types_.end()) return;
  set(publication.channel, publication.payload);
}

void Snapshots::set(const std::string& channel, std::string payload_json) {
  const engine::TimePoint now = now_();
  const auto ttl = ttl_(channel);
  std::lock_guard lock(mutex_);
  Entry& entry = entries_[channel];
  entry.expires = now + ttl;
  if (!entry.compressed.empty() && now - entry.compressed_at < interval_) {
    entry.pending = std::move(payload_json);  // compressed when the interval has passed
    return;
  }
  store_locked(entry, std::move(payload_json), now);
}

void Snapshots::store_locked(Entry& entry, std::string payload, engine::TimePoint now) {
  entry.compressed = compress(payload);
  entry.compressed_at = now;
  entry.pending.reset();
  ++compressions_;
}

std::optional<std::string> Snapshots::get(const std::string& channel) {
  const engine::TimePoint now = now_();
  std::lock_guard lock(mutex_);
  auto it = entries_.find(channel);
  if (it == entries_.end()) return std::nullopt;
  Entry& entry = it->second;
  if (now >= entry.expires) {
    entries_.erase(it);
    return std::nullopt;
  }
  if (entry.pending) {
    // A newer state is waiting: a joiner gets it as soon as the interval allows compressing
    // it, and until then the newest raw state rather than a stale one.
    if (now - entry.compressed_at >= interval_) {
      store_locked(entry, std::move(*entry.pending), now);
    } else {
      return *entry.pending;
    }
  }
  return decompress(entry.compressed);
}

void Snapshots::remove(const std::string& channel) {
  std::lock_guard lock(mutex_);
  entries_.erase(channel);
}

void Snapshots::expire() {
  const engine::TimePoint now = now_();
  std::lock_guard lock(mutex_);
  std::erase_if(entries_, [now](const auto& entry) { return now >= entry.second.expires; });
}

std::size_t Snapshots::compressions() const {
  std::lock_guard lock(mutex_);
  return compressions_;
}

std::size_t Snapshots::stored_bytes() const {
  std::lock_guard lock(mutex_);
  std::size_t total = 0;
  for (const auto& [channel, entry] : entries_) total += entry.compressed.size();
  return total;
}

}  // namespace switchboard::node
