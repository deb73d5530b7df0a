#include "json_walk.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace switchboard::socketio::detail {
namespace {

bool is_json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// The length of the string literal that starts `text` (at its opening quote), or nullopt.
std::optional<std::size_t> string_length(std::string_view text) {
  std::size_t i = 1;
  while (i < text.size()) {
    if (text[i] == '\\') {
      i += 2;
    } else if (text[i] == '"') {
      return i + 1;
    } else {
      ++i;
    }
  }
  return std::nullopt;
}

// Walks the comma-separated items between `open` and `close` of a container text, calling
// item(text_from_item_start) which returns the item's length (nullopt to stop).
template <class Item>
bool walk_container(std::string_view container, char open, char close, Item&& item) {
  container = trim_json(container);
  if (container.size() < 2 || container.front() != open || container.back() != close) {
    return false;
  }
  const std::string_view inside = container.substr(1, container.size() - 2);
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < inside.size() && is_json_space(inside[i])) ++i;
  };
  skip_space();
  if (i == inside.size()) return true;  // empty
  while (true) {
    const auto length = item(inside.substr(i));
    if (!length) return false;
    i += *length;
    skip_space();
    if (i == inside.size()) return true;
    if (inside[i] != ',') return false;
    ++i;
    skip_space();
  }
}

}  // namespace

std::string_view trim_json(std::string_view text) {
  while (!text.empty() && is_json_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_json_space(text.back())) text.remove_suffix(1);
  return text;
}

std::optional<std::size_t> json_value_length(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.front() == '"') return string_length(text);
  if (text.front() == '{' || text.front() == '[') {
    // Brackets balance in valid JSON once strings are skipped; which kind closes which is
    // check_json's business.
    std::size_t depth = 0;
    std::size_t i = 0;
    while (i < text.size()) {
      const char c = text[i];
      if (c == '"') {
        const auto length = string_length(text.substr(i));
        if (!length) return std::nullopt;
        i += *length;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if ((c == '}' || c == ']') && --depth == 0) return i + 1;
      ++i;
    }
    return std::nullopt;
  }
  // A number or literal: up to the next structural character or whitespace.
  std::size_t i = 0;
  while (i < text.size() && !is_json_space(text[i]) && text[i] != ',' && text[i] != ']' &&
         text[i] != '}' && text[i] != ':') {
    ++i;
  }
  if (i == 0) return std::nullopt;
  return i;
}

bool json_array_elements(std::string_view array, std::vector<std::string_view>& out) {
  out.clear();
  const bool walked = walk_container(array, '[', ']', [&](std::string_view rest) {
    const auto length = json_value_length(rest);
    if (length) out.push_back(rest.substr(0, *length));
    return length;
  });
  if (!walked) out.clear();
  return walked;
}

std::optional<std::string_view> json_first_element(std::string_view array) {
  array = trim_json(array);
  if (array.size() < 2 || array.front() != '[' || array.back() != ']') return std::nullopt;
  const std::string_view rest = trim_json(array.substr(1, array.size() - 2));
  const auto length = json_value_length(rest);
  if (!length) return std::nullopt;
  return rest.substr(0, *length);
}

bool json_object_members(std::string_view object, std::vector<JsonMember>& out) {
  out.clear();
  const bool walked =
      walk_container(object, '{', '}', [&](std::string_view rest) -> std::optional<std::size_t> {
        if (rest.empty() || rest.front() != '"') return std::nullopt;
        const auto key_length = string_length(rest);
        if (!key_length) return std::nullopt;
        std::size_t i = *key_length;
        while (i < rest.size() && is_json_space(rest[i])) ++i;
        if (i == rest.size() || rest[i] != ':') return std::nullopt;
        ++i;
        while (i < rest.size() && is_json_space(rest[i])) ++i;
        const auto value_length = json_value_length(rest.substr(i));
        if (!value_length) return std::nullopt;
        out.push_back({rest.substr(1, *key_length - 2), rest.substr(i, *value_length)});
        return i + *value_length;
      });
  if (!walked) out.clear();
  return walked;
}

std::optional<std::string> json_string_value(std::string_view literal) {
  if (literal.size() < 2 || literal.front() != '"') return std::nullopt;
  if (literal.find('\\') == std::string_view::npos) {
    if (literal.back() != '"' || literal.size() != string_length(literal).value_or(0)) {
      return std::nullopt;
    }
    return std::string(literal.substr(1, literal.size() - 2));
  }
  boost::json::error_code ec;
  const boost::json::value value =
      boost::json::parse(boost::json::string_view(literal.data(), literal.size()), ec);
  if (ec || !value.is_string()) return std::nullopt;
  return std::string(value.get_string());
}

bool json_key_is(std::string_view raw_key, std::string_view name) {
  if (raw_key.find('\\') == std::string_view::npos) return raw_key == name;
  std::string literal;
  literal.reserve(raw_key.size() + 2);
  literal.push_back('"');
  literal.append(raw_key);
  literal.push_back('"');
  const auto decoded = json_string_value(literal);
  return decoded && *decoded == name;
}

}  // namespace switchboard::socketio::detail
