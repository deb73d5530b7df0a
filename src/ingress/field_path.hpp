#pragma once
// A field of a broker message by dotted path ("user_id", "payload.user.id"), as the text a
// template puts in a channel or user name: a JSON string's value, or an integer as written
// (42 → "42", seed 002's Go services write user ids as numbers).
#include <string>
#include <string_view>
#include <variant>

namespace switchboard::ingress {

enum class FieldError : std::uint8_t {
  missing,  // a name on the path is absent, or a step is not an object
  bad,      // present, but neither a string nor an integer
};

// `object` must be a JSON text that passed protocol::check_json.
std::variant<std::string, FieldError> field_text(std::string_view object, std::string_view path);

}  // namespace switchboard::ingress
