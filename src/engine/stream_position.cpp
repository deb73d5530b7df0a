// Printing helpers for engine value types.
#include <string>

#include "switchboard/engine/publication.hpp"

namespace switchboard::engine {

std::string to_string(const StreamPosition& position) {
  return std::to_string(position.offset) + "@" + position.epoch;
}

}  // namespace switchboard::engine
