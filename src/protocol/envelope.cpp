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

// A text fragment as it appears in the message: a key without escapes compares as is.
bool is_key(std::string_view raw, std::string_view key) { return raw == key; }

}  // namespace

EnvelopeParse parse_envelope(std::string_view text) {
  // simdjson validates the whole message (payload included) in one fast pass; the fields are
  // then read from its DOM, and the payload's exact text is found by a scan of the top level.
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
  detail::scan_fields(text, [&](std::string_view key, std::string_view value) {
    if (is_key(key, "payload")) env.payload = value;
    if (numeric_id && is_key(key, "id")) env.id = value;
  });
  return result;
}

}  // namespace switchboard::protocol
