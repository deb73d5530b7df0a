#pragma once
// The one rule for JSON the gateway takes from outside (client envelopes and their payloads,
// server API bodies): RFC 8259 syntax and at most kMaxJsonDepth levels of nesting. Numbers are
// checked for syntax only: the gateway forwards payloads byte for byte, so an integer of 2^64
// or more, or 1e400, is as good as any other number.
//
// Thread safety: every function may be called on any thread (thread-local parser state).
#include <boost/json/error.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <string_view>

namespace switchboard::protocol {

// Arrays and objects inside each other, the outermost counting as one: `[[1]]` is 2 levels.
inline constexpr std::size_t kMaxJsonDepth = 64;

enum class JsonCheck { valid, invalid, too_deep };

JsonCheck check_json(std::string_view text);

// A client-facing sentence for a JSON text that failed check_json.
std::string_view describe(JsonCheck check);

// Boost.JSON's parse under the same rule (its own default depth is 32): for payloads that
// handlers read. A number beyond double's range reads as infinity, never as an error.
boost::json::value parse_json(std::string_view text, boost::json::error_code& ec);

}  // namespace switchboard::protocol
