#pragma once
// How the JSON statistics order and write user ids (node/api/stats_route.hpp): seed 002's ids
// were numbers, so an id that is a canonical decimal integer a JavaScript number holds exactly
// (digits only, no leading zero, at most 2^53 - 1) is one; every other id is a string.
#include <cstdint>
#include <optional>
#include <string_view>

namespace switchboard::node {

std::optional<std::uint64_t> numeric_user_id(std::string_view id);

// Numeric ids first, by value; then the others, bytewise.
bool user_id_less(std::string_view a, std::string_view b);

}  // namespace switchboard::node
