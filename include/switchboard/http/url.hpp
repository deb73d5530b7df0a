#pragma once
// Percent-decoding of URL parts.
#include <string>
#include <string_view>

namespace switchboard::http {

// Decodes "%XX" escapes (a '%' not followed by two hex digits is kept as is). With
// plus_is_space, '+' decodes to a space (query strings, application/x-www-form-urlencoded);
// in paths a '+' is itself.
std::string percent_decode(std::string_view s, bool plus_is_space = false);

}  // namespace switchboard::http
