#pragma once
// The native protocol's envelope: one JSON text frame per message,
//   {"type": string, "id"?: string, "requires_ack"?: bool, "payload"?: any}
// Only `type` is required (seeds 001 and 004). The message must pass check_json
// (json_check.hpp). Parsing is zero-copy: every field is a view into the message (or, for a
// string with escapes, into thread-local storage), and `payload` is the raw JSON text of the
// value, forwarded without re-serialising.
#include <cstddef>
#include <string>
#include <string_view>

namespace switchboard::protocol {

struct Envelope {
  std::string_view type;
  std::string_view id;       // empty when absent (numbers are accepted and kept as text)
  bool requires_ack = false;
  std::string_view payload;  // raw JSON text of the payload value; empty when absent
};

enum class EnvelopeError {
  none,
  bad_json,        // not JSON, or trailing garbage
  not_an_object,   // valid JSON but not an object
  missing_type,    // no "type", or not a non-empty string
  bad_field,       // "id" not a string/number, "requires_ack" not a bool
  too_deep,        // nested deeper than kMaxJsonDepth (json_check.hpp)
};

struct EnvelopeParse {
  Envelope envelope;
  EnvelopeError error = EnvelopeError::none;
  std::string_view detail;  // static text for the error message
};

// Parses `text` (a complete text message). `payload` points into `text`; `type` and `id` point
// into `text` or the thread's storage: all are valid until the next parse on the same thread.
//
// Thread safety: uses a thread-local parser; safe on any thread.
EnvelopeParse parse_envelope(std::string_view text);

}  // namespace switchboard::protocol
