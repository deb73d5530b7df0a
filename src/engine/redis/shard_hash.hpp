#pragma once
// Which shard (Redis server of redis_url) holds a channel's, user's or key's data: Jump
// Consistent Hash (Lamping & Veach, 2014) over the FNV-1a 64-bit hash of the name. Adding a
// server to the end of the list moves about 1/(n+1) of the names; every node must list the
// same servers in the same order.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace switchboard::engine::redis {

std::uint64_t fnv1a64(std::string_view text) noexcept;

// A shard index in [0, shards); 0 when shards <= 1.
std::size_t shard_of(std::string_view name, std::size_t shards) noexcept;

}  // namespace switchboard::engine::redis
