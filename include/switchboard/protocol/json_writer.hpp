#pragma once
// Building JSON text by appending to a string: server envelopes are written once per
// publication (then framed once), so this stays simple and allocation-light.
#include <cstdint>
#include <string>
#include <string_view>

namespace switchboard::protocol {

// Appends `s` as a JSON string literal (quotes included), escaping what JSON requires.
void append_json_string(std::string& out, std::string_view s);

// A JSON object under construction: JsonObject o(out); o.string("type","x").raw("payload",p);
// o.close(). Keys are written as given (callers pass literal, safe keys).
class JsonObject {
 public:
  explicit JsonObject(std::string& out) : out_(out) { out_.push_back('{'); }
  JsonObject& string(std::string_view key, std::string_view value);
  JsonObject& number(std::string_view key, std::uint64_t value);
  JsonObject& boolean(std::string_view key, bool value);
  // `json` must be valid JSON text (an already serialised value); empty writes null.
  JsonObject& raw(std::string_view key, std::string_view json);
  void close() { out_.push_back('}'); }

 private:
  void key(std::string_view k);
  std::string& out_;
  bool first_ = true;
};

}  // namespace switchboard::protocol
