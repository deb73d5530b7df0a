// Stream positions: printing, and the epochs new streams start with.
#include <cstdint>
#include <random>
#include <string>

#include "switchboard/engine/publication.hpp"

namespace switchboard::engine {

std::string to_string(const StreamPosition& position) {
  return std::to_string(position.offset) + "@" + position.epoch;
}

std::string new_epoch() {
  thread_local std::mt19937 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint32_t bits = static_cast<std::uint32_t>(rng());
  std::string epoch(8, '0');
  for (char& c : epoch) {
    c = kHex[bits & 0xf];
    bits >>= 4;
  }
  return epoch;
}

}  // namespace switchboard::engine
