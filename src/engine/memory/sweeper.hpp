#pragma once
// Amortised removal of dead entries (expired channels, idle buckets) from an unordered_map
// whose entries are otherwise only checked lazily: without it, a map keyed by channel grows
// with every channel that was ever used.
//
// The owner calls tick() on every operation that may insert; every kEvery ticks it calls
// sweep(), which inspects at most kBatch entries (and kMaxBuckets buckets), resuming where
// the previous sweep stopped. That is about two inspections per insert, so dead entries are
// found faster than new ones can appear, and no single call holds the lock for long.
// Thread safety: none; guarded by its owner's lock.
#include <cstddef>
#include <vector>

namespace switchboard::engine::memory_detail {

class Sweeper {
 public:
  static constexpr std::size_t kEvery = 16;
  static constexpr std::size_t kBatch = 32;
  static constexpr std::size_t kMaxBuckets = 128;

  bool tick() noexcept { return ++ops_ % kEvery == 0; }

  // Erases the entries for which `is_dead(value)` is true among the next few entries.
  // `is_dead` may also prune the value's own expired parts.
  template <class Map, class IsDead>
  void sweep(Map& map, IsDead&& is_dead) {
    if (map.empty()) return;
    std::vector<typename Map::key_type> dead;
    const std::size_t buckets = map.bucket_count();
    std::size_t inspected = 0;
    for (std::size_t n = 0; n < kMaxBuckets && n < buckets && inspected < kBatch; ++n) {
      const std::size_t bucket = cursor_++ % buckets;
      for (auto it = map.begin(bucket); it != map.end(bucket); ++it) {
        ++inspected;
        if (is_dead(it->second)) dead.push_back(it->first);
      }
    }
    // Erased by key afterwards: erasing invalidates the bucket iterators used above.
    for (const auto& key : dead) map.erase(key);
  }

 private:
  std::size_t ops_ = 0;
  std::size_t cursor_ = 0;
};

}  // namespace switchboard::engine::memory_detail
