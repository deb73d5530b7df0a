#pragma once
// Containers keyed by std::string that accept std::string_view lookups without building a
// temporary string (the hot paths look up channels and keys by view), and the shard choice
// for maps split by key hash.
#include <array>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace switchboard::engine::memory_detail {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

template <class Value>
using StringMap = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;

// The entry for `key`, value-initialised (and the key copied) only when missing.
template <class Map>
typename Map::iterator find_or_add(Map& map, std::string_view key) {
  auto it = map.find(key);
  if (it == map.end()) it = map.emplace(std::string(key), typename Map::mapped_type{}).first;
  return it;
}

// Strings stored once and shared by pointer (the node ids that every presence entry and
// registry lease names: a cluster has a handful). Pointers stay valid for the set's life;
// nothing is ever removed.
class InternedStrings {
 public:
  const std::string* intern(std::string s) { return &*strings_.insert(std::move(s)).first; }

 private:
  std::unordered_set<std::string, StringHash, std::equal_to<>> strings_;
};

// A map split into kShardCount shards, each behind its own mutex, so that operations on
// different channels (or keys) rarely contend. `Shard` holds a `std::mutex mu` and the data.
inline constexpr std::size_t kShardCount = 16;

template <class Shard>
class Sharded {
 public:
  Shard& for_key(std::string_view key) noexcept {
    // Mix the high bits in: std::hash of a string may have weak low bits on some libraries.
    const std::size_t h = StringHash{}(key);
    return shards_[(h ^ (h >> 17)) % kShardCount];
  }
  std::array<Shard, kShardCount>& all() noexcept { return shards_; }

  // Sum of `count(shard)` over the shards, each read under its lock (for sizes and metrics).
  template <class Count>
  std::size_t total(Count&& count) const {
    std::size_t n = 0;
    for (const Shard& shard : shards_) {
      std::lock_guard lock(shard.mu);
      n += count(shard);
    }
    return n;
  }

 private:
  std::array<Shard, kShardCount> shards_;
};

}  // namespace switchboard::engine::memory_detail
