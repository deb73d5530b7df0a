#pragma once
// One entry of the option table (options.cpp): everything the loader, the validator and the help
// text need to know about an option. Flags, environment names and TOML keys are all derived from
// `name`, so an option is declared exactly once.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "switchboard/config/config.hpp"

namespace switchboard::config {

enum class OptionType {
  boolean,      // true/false (flags: `--echo`, `--echo=false`)
  uint,         // unsigned integer
  size,         // bytes; "8KiB", "1MiB", "4096"
  duration,     // milliseconds; "500ms", "5s", "2m", "1h", "1000"
  string,       // free text
  string_list,  // comma-separated text, or a TOML array of strings
  enumeration,  // one of `choices`
};

// A parsed, validated value. Numbers (uint, size, duration) are uint64: bytes for sizes,
// milliseconds for durations; enumerations are their choice's text.
using Value = std::variant<bool, std::uint64_t, std::string, std::vector<std::string>>;

inline constexpr std::uint64_t kNoMax = std::numeric_limits<std::uint64_t>::max();

struct OptionSpec {
  std::string_view name;  // snake_case: the TOML key; flag and env names derive from it
  OptionType type = OptionType::string;
  std::string_view help;
  std::uint64_t min = 0;  // numeric types only, inclusive
  std::uint64_t max = kNoMax;
  std::vector<std::string_view> choices;             // enumeration only
  std::vector<std::string_view> env_aliases;         // extra names, after SWITCHBOARD_<NAME>
  bool in_file = true;                               // false: flag/environment only
  std::string_view must_start_with;                  // string only: required prefix, "" for none
  std::function<void(Config&, const Value&)> store;  // writes a validated value
  std::function<Value(const Config&)> read;          // reads it back (defaults in help)

  // Modifiers so that a table entry stays one line: `size(...).at_least(125).env("X")`.
  OptionSpec range(std::uint64_t lo, std::uint64_t hi) && {
    min = lo;
    max = std::min(max, hi);
    return std::move(*this);
  }
  OptionSpec at_least(std::uint64_t lo) && {
    min = lo;
    return std::move(*this);
  }
  OptionSpec env(std::string_view alias) && {
    env_aliases.push_back(alias);
    return std::move(*this);
  }
  OptionSpec prefix(std::string_view p) && {
    must_start_with = p;
    return std::move(*this);
  }
  OptionSpec not_in_file() && {
    in_file = false;
    return std::move(*this);
  }
};

// The table, in the order --help and docs/config.md list it.
const std::vector<OptionSpec>& option_table();

// "max_message_size" → "--max-message-size" and "SWITCHBOARD_MAX_MESSAGE_SIZE".
std::string flag_name(const OptionSpec& spec);
std::string env_name(const OptionSpec& spec);
// SWITCHBOARD_<NAME> first, then the aliases, in the order the environment is consulted.
std::vector<std::string> env_names(const OptionSpec& spec);

namespace detail {

template <class T>
void assign(T& field, const Value& v) {
  if constexpr (std::is_same_v<T, bool>) {
    field = std::get<bool>(v);
  } else if constexpr (std::is_integral_v<T>) {
    field = static_cast<T>(std::get<std::uint64_t>(v));  // bounds were checked against T
  } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
    field = std::chrono::milliseconds(std::get<std::uint64_t>(v));
  } else {
    field = std::get<T>(v);
  }
}

template <class T>
Value to_value(const T& field) {
  if constexpr (std::is_same_v<T, bool>) {
    return field;
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<std::uint64_t>(field);
  } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
    return static_cast<std::uint64_t>(field.count());
  } else {
    return field;
  }
}

template <class T>
constexpr std::uint64_t type_max() {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    return std::numeric_limits<T>::max();
  } else {
    return kNoMax;
  }
}

}  // namespace detail

// An option stored in a Config member. The member's type caps `max` so that the narrowing in
// `assign` can never truncate.
template <class T>
OptionSpec option(std::string_view name, OptionType type, T Config::*member,
                  std::string_view help) {
  OptionSpec spec;
  spec.name = name;
  spec.type = type;
  spec.help = help;
  spec.max = detail::type_max<T>();
  spec.store = [member](Config& c, const Value& v) { detail::assign(c.*member, v); };
  spec.read = [member](const Config& c) { return detail::to_value(c.*member); };
  return spec;
}

// An enumeration stored as its text (e.g. log_level).
inline OptionSpec choice(std::string_view name, std::string Config::*member,
                         std::initializer_list<std::string_view> choices, std::string_view help) {
  OptionSpec spec = option(name, OptionType::enumeration, member, help);
  spec.choices = choices;
  return spec;
}

// An enumeration stored as a C++ enum (e.g. log_format): `names` maps each text to its value.
template <class E>
OptionSpec choice(std::string_view name, E Config::*member,
                  std::initializer_list<std::pair<std::string_view, E>> names,
                  std::string_view help) {
  OptionSpec spec;
  spec.name = name;
  spec.type = OptionType::enumeration;
  spec.help = help;
  std::vector<std::pair<std::string_view, E>> table(names);
  for (const auto& entry : table) spec.choices.push_back(entry.first);
  spec.store = [member, table](Config& c, const Value& v) {
    for (const auto& [text, e] : table) {
      if (text == std::get<std::string>(v)) c.*member = e;
    }
  };
  spec.read = [member, table](const Config& c) -> Value {
    for (const auto& [text, e] : table) {
      if (c.*member == e) return std::string(text);
    }
    return std::string();
  };
  return spec;
}

}  // namespace switchboard::config
