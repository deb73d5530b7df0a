#pragma once
// Walking JSON text that check_json already accepted, by position: Socket.IO packets are
// forwarded as raw JSON (an event's arguments, a placeholder's surroundings), so the codec cuts
// and splices the text instead of building documents and serialising them again (which would
// rewrite numbers and escapes). Every function stays inside its input whatever it is given, and
// reports text it cannot walk; it does not check what check_json checks. Private to sb_socketio.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::socketio::detail {

// `text` without JSON whitespace at either end.
std::string_view trim_json(std::string_view text);

// The length of the JSON value that starts `text` (no leading whitespace), or nullopt when
// `text` does not start with one that ends inside it.
std::optional<std::size_t> json_value_length(std::string_view text);

// The raw texts of the elements of the JSON array `array` (trimmed), replacing `out`; false
// when `array` is not an array.
bool json_array_elements(std::string_view array, std::vector<std::string_view>& out);

// The raw text of the first element of the JSON array `array`, without walking the others (a
// hot path: every event's name); nullopt when `array` is empty or not an array.
std::optional<std::string_view> json_first_element(std::string_view array);

// A JSON object's members, each as the raw key (between its quotes) and the raw value text.
struct JsonMember {
  std::string_view raw_key;
  std::string_view value;
};
// The members of the JSON object `object`, replacing `out`; false when it is not an object.
bool json_object_members(std::string_view object, std::vector<JsonMember>& out);

// Whether the raw key (as written between its quotes) reads as `name` once its escapes are
// resolved: JSON compares keys by value, so "\u0024binary" is "$binary".
bool json_key_is(std::string_view raw_key, std::string_view name);

// The value of a JSON string literal (quotes included in `literal`), escapes resolved;
// nullopt when it is not one.
std::optional<std::string> json_string_value(std::string_view literal);

// Calls visit(object_text, members) for every object in `value`, outermost first, and does not
// look inside an object for which visit returns true (it handled it). Texts are views into
// `value`, in document order. False when `value` cannot be walked or nests deeper than
// `max_depth` arrays and objects.
template <class Visit>
bool for_each_json_object(std::string_view value, Visit&& visit, std::size_t max_depth) {
  value = trim_json(value);
  if (value.empty()) return false;
  if (value.front() != '{' && value.front() != '[') return true;  // a scalar holds no object
  if (max_depth == 0) return false;
  if (value.front() == '[') {
    std::vector<std::string_view> elements;
    if (!json_array_elements(value, elements)) return false;
    for (const std::string_view element : elements) {
      if (!for_each_json_object(element, visit, max_depth - 1)) return false;
    }
    return true;
  }
  std::vector<JsonMember> members;
  if (!json_object_members(value, members)) return false;
  if (visit(value, static_cast<const std::vector<JsonMember>&>(members))) return true;
  for (const JsonMember& member : members) {
    if (!for_each_json_object(member.value, visit, max_depth - 1)) return false;
  }
  return true;
}

}  // namespace switchboard::socketio::detail
