#include "json_object.hpp"

#include <cmath>
#include <cstdio>

namespace switchboard::bench {

void JsonObject::append_string(std::string& out, std::string_view value) {
  out.push_back('"');
  for (const char c : value) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      out.append(escaped);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

void JsonObject::add_key(std::string_view key) {
  if (!body_.empty()) body_.push_back(',');
  append_string(body_, key);
  body_.push_back(':');
}

JsonObject& JsonObject::add(std::string_view key, std::string_view value) {
  add_key(key);
  append_string(body_, value);
  return *this;
}

JsonObject& JsonObject::add(std::string_view key, double value) {
  if (!std::isfinite(value)) return add_null(key);
  add_key(key);
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", value);
  body_.append(text);
  return *this;
}

JsonObject& JsonObject::add(std::string_view key, std::uint64_t value) {
  add_key(key);
  body_.append(std::to_string(value));
  return *this;
}

JsonObject& JsonObject::add(std::string_view key, std::int64_t value) {
  add_key(key);
  body_.append(std::to_string(value));
  return *this;
}

JsonObject& JsonObject::add(std::string_view key, bool value) {
  add_key(key);
  body_.append(value ? "true" : "false");
  return *this;
}

JsonObject& JsonObject::add(std::string_view key, const JsonObject& value) {
  add_key(key);
  body_.append(value.str());
  return *this;
}

JsonObject& JsonObject::add_null(std::string_view key) {
  add_key(key);
  body_.append("null");
  return *this;
}

}  // namespace switchboard::bench
