// FNV-1a 64 and Jump Consistent Hash. See shard_hash.hpp.
#include "shard_hash.hpp"

namespace switchboard::engine::redis {

std::uint64_t fnv1a64(std::string_view text) noexcept {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::size_t shard_of(std::string_view name, std::size_t shards) noexcept {
  if (shards <= 1) return 0;
  // Jump hash: walk the buckets the key would jump to as the count grows, keep the last one
  // below `shards`.
  std::uint64_t key = fnv1a64(name);
  std::int64_t bucket = -1;
  std::int64_t next = 0;
  while (next < static_cast<std::int64_t>(shards)) {
    bucket = next;
    key = key * 2862933555777941757ULL + 1;
    next = static_cast<std::int64_t>(static_cast<double>(bucket + 1) *
                                     (static_cast<double>(1LL << 31) /
                                      static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<std::size_t>(bucket);
}

}  // namespace switchboard::engine::redis
