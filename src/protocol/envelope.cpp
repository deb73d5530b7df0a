#include "switchboard/protocol/envelope.hpp"

#include <simdjson.h>

#include "raw_scan.hpp"

namespace switchboard::protocol {
namespace {

EnvelopeParse failure(EnvelopeError e, std::string_view detail) {
  EnvelopeParse r;
  r.error = e;
  r.detail = detail;
  return r;
}

// A key as it appears in the message: one without escapes compares as is; p\u0061yload is
// payload too, as simdjson (which found the fields) sees it.
bool is_key(std::string_view raw, std::string_view key) {
  if (raw.find('\\') == std::string_view::npos) return raw == key;
  return detail::decode_key(raw) == key;
}

}  // namespace

EnvelopeParse parse_envelope(std::string_view text) {
  // simdjson validates the whole message (payload included) in one fast pass; the fields are
  // then read from its DOM, and the payload's exact text is found by a scan of the top level.
  if (text.empty()) return failure(EnvelopeError::bad_json, "message is not valid JSON");
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size(), true).get(root) != simdjson::SUCCESS) {
    return failure(EnvelopeError::bad_json, "message is not valid JSON");
  }
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return failure(EnvelopeError::not_an_object, "message must be a JSON object");
  }
  EnvelopeParse result;
  Envelope& env = result.envelope;

  simdjson::dom::element type;
  if (object["type"].get(type) != simdjson::SUCCESS) {
    return failure(EnvelopeError::missing_type, "\"type\" is required");
  }
  if (type.get_string().get(env.type) != simdjson::SUCCESS || env.type.empty()) {
    return failure(EnvelopeError::missing_type, "\"type\" must be a non-empty string");
  }
  simdjson::dom::element id;
  if (object["id"].get(id) == simdjson::SUCCESS && !id.is_null()) {
    if (id.is_string()) {
      env.id = id.get_string().value_unsafe();
    } else if (!id.is_number()) {
      return failure(EnvelopeError::bad_field, "\"id\" must be a string");
    }
  }
  simdjson::dom::element ack;
  if (object["requires_ack"].get(ack) == simdjson::SUCCESS) {
    if (ack.get_bool().get(env.requires_ack) != simdjson::SUCCESS) {
      return failure(EnvelopeError::bad_field, "\"requires_ack\" must be a boolean");
    }
  }
  // Raw spans: the payload (forwarded as is) and a numeric id (kept as its text).
  const bool numeric_id = object["id"].get(id) == simdjson::SUCCESS && id.is_number();
  // With duplicate keys the first one counts, as for the fields simdjson looked up.
  bool payload_seen = false, id_seen = false;
  detail::scan_fields(text, [&](std::string_view key, std::string_view value) {
    if (!payload_seen && is_key(key, "payload")) {
      env.payload = value;
      payload_seen = true;
    } else if (!id_seen && is_key(key, "id")) {
      if (numeric_id) env.id = value;
      id_seen = true;
    }
  });
  return result;
}

}  // namespace switchboard::protocol
