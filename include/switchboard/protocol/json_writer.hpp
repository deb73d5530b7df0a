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

// {"type":type,"id"?:id,"payload":payload_json} — the common shape of server replies (`id`,
// when not empty, echoes the client's message id).
std::string make_envelope(std::string_view type, std::string_view payload_json,
                          std::string_view id = {});
// {"type":"error","payload":{"code":code,"message":message,"ref":ref}} (ref omitted when empty)
std::string make_error(std::string_view code, std::string_view message, std::string_view ref);

}  // namespace switchboard::protocol
