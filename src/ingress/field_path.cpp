#include "field_path.hpp"

#include <boost/json/parse.hpp>

#include "switchboard/protocol/json_fields.hpp"

namespace switchboard::ingress {
namespace {

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' ||
                        s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool integer(std::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::variant<std::string, FieldError> field_text(std::string_view object, std::string_view path) {
  std::string_view value = trimmed(object);
  while (true) {
    if (value.empty() || value.front() != '{') return FieldError::missing;
    const std::size_t dot = path.find('.');
    const auto found = protocol::raw_field(value, path.substr(0, dot));
    if (!found) return FieldError::missing;
    value = trimmed(*found);
    if (dot == std::string_view::npos) break;
    path.remove_prefix(dot + 1);
  }
  if (integer(value)) return std::string(value);
  if (value.empty() || value.front() != '"') return FieldError::bad;
  boost::json::error_code ec;
  const boost::json::value decoded = boost::json::parse(value, ec);
  if (ec || !decoded.is_string()) return FieldError::bad;
  return std::string(decoded.as_string());
}

}  // namespace switchboard::ingress
