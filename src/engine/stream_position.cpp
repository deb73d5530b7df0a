// Stream positions: printing, the epochs new streams start with, and where a duplicate publish
// points.
#include <cstdint>
#include <random>
#include <string>
#include <utility>

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

PublicationPtr duplicate_of(Publication publication, StreamPosition first) {
  publication.offset = first.offset;
  publication.epoch = std::move(first.epoch);
  publication.duplicate = true;
  return std::make_shared<const Publication>(std::move(publication));
}

std::string idempotency_slot(std::string_view channel, std::string_view key) {
  std::string slot = std::to_string(channel.size());
  slot.reserve(slot.size() + channel.size() + key.size() + 2);
  slot.push_back(':');
  slot.append(channel).push_back(':');
  slot.append(key);
  return slot;
}

}  // namespace switchboard::engine
