#pragma once
// Epoch strings for re-created streams: random, so that a position from a stream that was
// lost (expired, removed, process restarted) is recognised as foreign by the new stream.
#include <cstdint>
#include <random>
#include <string>

namespace switchboard::engine::memory_detail {

// Thread safety: none; each shard owns one, used under its lock.
class EpochSource {
 public:
  EpochSource() : rng_(std::random_device{}()) {}
  // 8 hex digits: 2^-32 odds that a re-created stream repeats its predecessor's epoch.
  std::string next() {
    static constexpr char kHex[] = "0123456789abcdef";
    std::uint32_t bits = static_cast<std::uint32_t>(rng_());
    std::string epoch(8, '0');
    for (char& c : epoch) {
      c = kHex[bits & 0xf];
      bits >>= 4;
    }
    return epoch;
  }

 private:
  std::mt19937 rng_;
};

}  // namespace switchboard::engine::memory_detail
