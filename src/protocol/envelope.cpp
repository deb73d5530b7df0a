#include "switchboard/protocol/envelope.hpp"

#include "raw_scan.hpp"
#include "switchboard/protocol/json_check.hpp"

namespace switchboard::protocol {
namespace {

EnvelopeParse failure(EnvelopeError e, std::string_view detail) {
  EnvelopeParse r;
  r.error = e;
  r.detail = detail;
  return r;
}

// A key as it appears in the message: one without escapes compares as is; p\u0061yload is
// payload too, as JSON compares keys by value.
bool is_key(std::string_view raw, std::string_view key) {
  if (raw.find('\\') == std::string_view::npos) return raw == key;
  return detail::decode_key(raw) == key;
}

// A JSON string's raw text, quotes included, as its value: a view into the message when it
// has no escapes (nearly always), else decoded into `storage`.
std::string_view string_value(std::string_view raw, std::string& storage) {
  const std::string_view inner = raw.substr(1, raw.size() - 2);
  if (inner.find('\\') == std::string_view::npos) return inner;
  storage = detail::decode_key(inner);
  return storage;
}

bool is_number(std::string_view raw) {
  return !raw.empty() && (raw.front() == '-' || (raw.front() >= '0' && raw.front() <= '9'));
}

}  // namespace

EnvelopeParse parse_envelope(std::string_view text) {
  // One validation of the whole message (payload included) under the JSON rule of
  // json_check.hpp, then one scan of its top level for the fields and the payload's exact text.
  switch (check_json(text)) {
    case JsonCheck::valid: break;
    case JsonCheck::too_deep: return failure(EnvelopeError::too_deep, describe(JsonCheck::too_deep));
    case JsonCheck::invalid: return failure(EnvelopeError::bad_json, "message is not valid JSON");
  }
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (text[first] != '{') {
    return failure(EnvelopeError::not_an_object, "message must be a JSON object");
  }
  // With duplicate keys the first one counts.
  std::string_view type, id, ack, payload;
  bool type_seen = false, id_seen = false, ack_seen = false, payload_seen = false;
  detail::scan_fields(text, [&](std::string_view key, std::string_view value) {
    auto take = [&](std::string_view name, bool& seen, std::string_view& out) {
      if (seen || !is_key(key, name)) return false;
      seen = true;
      out = value;
      return true;
    };
    take("type", type_seen, type) || take("id", id_seen, id) ||
        take("requires_ack", ack_seen, ack) || take("payload", payload_seen, payload);
  });
  // Decoded strings live until the next parse on this thread.
  thread_local std::string type_storage, id_storage;
  EnvelopeParse result;
  Envelope& env = result.envelope;
  if (!type_seen) return failure(EnvelopeError::missing_type, "\"type\" is required");
  if (type.front() == '"') env.type = string_value(type, type_storage);
  if (env.type.empty()) {
    return failure(EnvelopeError::missing_type, "\"type\" must be a non-empty string");
  }
  if (id_seen && id != "null") {
    if (id.front() == '"') {
      env.id = string_value(id, id_storage);
    } else if (is_number(id)) {
      env.id = id;  // kept as its text
    } else {
      return failure(EnvelopeError::bad_field, "\"id\" must be a string");
    }
  }
  if (ack_seen) {
    if (ack != "true" && ack != "false") {
      return failure(EnvelopeError::bad_field, "\"requires_ack\" must be a boolean");
    }
    env.requires_ack = ack == "true";
  }
  env.payload = payload;
  return result;
}

}  // namespace switchboard::protocol
