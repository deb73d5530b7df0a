#pragma once
// Text ↔ Value for the option types: the grammar of sizes ("8KiB"), durations ("5s"), booleans
// and lists, the bounds check, and the wording of "expected ..." in error messages and help.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "option_spec.hpp"

namespace switchboard::config {

// "4096", "4096B", "8KiB", "8k", "8KB", "1MiB", "1GiB" (case-insensitive; K, KB and KiB all mean
// 1024, because that is what the gateways Switchboard replaces meant by "8 KB").
std::optional<std::uint64_t> parse_size(std::string_view text);
// "500ms", "5s", "2m", "1h", or a plain integer of milliseconds.
std::optional<std::uint64_t> parse_duration_ms(std::string_view text);
// true/false, 1/0, yes/no, on/off (case-insensitive).
std::optional<bool> parse_bool(std::string_view text);
// "a, b,c" → {"a","b","c"}: items are trimmed, empty items dropped.
std::vector<std::string> split_list(std::string_view text);

// Parses text for `spec` and checks it with `valid`; nullopt when either fails.
std::optional<Value> parse_text(const OptionSpec& spec, std::string_view text);
// Bounds, choices and prefix rules of `spec`.
bool valid(const OptionSpec& spec, const Value& value);

// "expected an integer in 1..65535": what `parse_text` accepts, for error messages.
std::string expectation(const OptionSpec& spec);
// Canonical text of a value ("8KiB", "5s", "a,b"); parse_text accepts it back.
std::string format_value(const OptionSpec& spec, const Value& value);
// "1..65535", ">= 125B", "console|json", or "" when unbounded.
std::string bounds_text(const OptionSpec& spec);
// uint, size and duration: the types whose Value is a number with bounds.
bool is_numeric(OptionType type);
// "bool", "uint", "size", "duration", "string", "list", "enum".
std::string_view type_name(OptionType type);

// "invalid value 'abc' for --port (SWITCHBOARD_PORT): expected an integer in 1..65535".
// `where` names the source: the flag, the environment variable or the file key.
std::string invalid_value(const OptionSpec& spec, std::string_view shown, std::string_view where);

}  // namespace switchboard::config
