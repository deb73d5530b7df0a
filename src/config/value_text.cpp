#include "value_text.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace switchboard::config {
namespace {

struct Unit {
  std::string_view suffix;
  std::uint64_t factor;
};

// A suffix must match the whole remainder after the digits, so the order does not matter.
constexpr std::array kSizeUnits{
    Unit{"", 1},
    Unit{"b", 1},
    Unit{"k", 1ULL << 10},
    Unit{"kb", 1ULL << 10},
    Unit{"kib", 1ULL << 10},
    Unit{"m", 1ULL << 20},
    Unit{"mb", 1ULL << 20},
    Unit{"mib", 1ULL << 20},
    Unit{"g", 1ULL << 30},
    Unit{"gb", 1ULL << 30},
    Unit{"gib", 1ULL << 30},
};
constexpr std::array kDurationUnits{
    Unit{"", 1},       Unit{"ms", 1},       Unit{"s", 1000},
    Unit{"m", 60'000}, Unit{"min", 60'000}, Unit{"h", 3'600'000},
};

std::string_view trim(std::string_view s) {
  auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::uint64_t> parse_uint(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (n > (kNoMax - digit) / 10) return std::nullopt;  // overflow
    n = n * 10 + digit;
  }
  return n;
}

// "<digits><spaces?><unit>" with the unit looked up case-insensitively in `units`.
template <std::size_t N>
std::optional<std::uint64_t> parse_with_unit(std::string_view text,
                                             const std::array<Unit, N>& units) {
  text = trim(text);
  const auto digits_end =
      std::find_if(text.begin(), text.end(), [](char c) { return c < '0' || c > '9'; });
  const auto number =
      parse_uint(text.substr(0, static_cast<std::size_t>(digits_end - text.begin())));
  if (!number) return std::nullopt;
  const std::string suffix = lower(trim(std::string_view(digits_end, text.end())));
  for (const auto& unit : units) {
    if (unit.suffix != suffix) continue;
    if (*number > kNoMax / unit.factor) return std::nullopt;
    return *number * unit.factor;
  }
  return std::nullopt;
}

// Largest unit that divides `n` exactly, so that the text parses back to the same value.
template <std::size_t N>
std::string format_with_unit(std::uint64_t n, const std::array<Unit, N>& units,
                             std::initializer_list<std::string_view> preferred) {
  if (n == 0) return "0";
  for (auto name : preferred) {
    for (const auto& unit : units) {
      if (unit.suffix == name && n % unit.factor == 0) {
        std::string text = std::to_string(n / unit.factor);
        // Display the binary units in their unambiguous spelling.
        if (name == "kib") return text + "KiB";
        if (name == "mib") return text + "MiB";
        if (name == "gib") return text + "GiB";
        if (name == "b") return text + "B";
        return text + std::string(name);
      }
    }
  }
  return std::to_string(n);
}

std::string format_size(std::uint64_t n) {
  return format_with_unit(n, kSizeUnits, {"gib", "mib", "kib", "b"});
}
std::string format_duration(std::uint64_t ms) {
  return format_with_unit(ms, kDurationUnits, {"h", "m", "s", "ms"});
}

std::string format_number(const OptionSpec& spec, std::uint64_t n) {
  switch (spec.type) {
    case OptionType::size:
      return format_size(n);
    case OptionType::duration:
      return format_duration(n);
    default:
      return std::to_string(n);
  }
}

}  // namespace

bool is_numeric(OptionType type) {
  return type == OptionType::uint || type == OptionType::size || type == OptionType::duration;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  return parse_with_unit(text, kSizeUnits);
}

std::optional<std::uint64_t> parse_duration_ms(std::string_view text) {
  return parse_with_unit(text, kDurationUnits);
}

std::optional<bool> parse_bool(std::string_view text) {
  const std::string t = lower(trim(text));
  if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return false;
  return std::nullopt;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  while (true) {
    const auto comma = text.find(',');
    const auto item = trim(text.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

std::optional<Value> parse_text(const OptionSpec& spec, std::string_view text) {
  std::optional<Value> value;
  switch (spec.type) {
    case OptionType::boolean:
      if (auto b = parse_bool(text)) value = *b;
      break;
    case OptionType::uint:
      if (auto n = parse_uint(trim(text))) value = *n;
      break;
    case OptionType::size:
      if (auto n = parse_size(text)) value = *n;
      break;
    case OptionType::duration:
      if (auto n = parse_duration_ms(text)) value = *n;
      break;
    case OptionType::string:
      value = std::string(text);
      break;
    case OptionType::string_list:
      value = split_list(text);
      break;
    case OptionType::enumeration: {
      // Case-insensitive, stored as the choice is spelled (log levels are lower case,
      // jwt_algorithm's choices upper case).
      const std::string wanted = lower(trim(text));
      value = wanted;
      for (auto choice : spec.choices) {
        if (lower(choice) == wanted) value = std::string(choice);
      }
      break;
    }
  }
  if (value && !valid(spec, *value)) value.reset();
  return value;
}

bool valid(const OptionSpec& spec, const Value& value) {
  if (is_numeric(spec.type)) {
    const auto* n = std::get_if<std::uint64_t>(&value);
    return n != nullptr && *n >= spec.min && *n <= spec.max;
  }
  if (spec.type == OptionType::enumeration) {
    const auto* s = std::get_if<std::string>(&value);
    return s != nullptr &&
           std::find(spec.choices.begin(), spec.choices.end(), *s) != spec.choices.end();
  }
  if (spec.type == OptionType::string && !spec.must_start_with.empty()) {
    const auto* s = std::get_if<std::string>(&value);
    return s != nullptr && s->starts_with(spec.must_start_with);
  }
  return true;
}

std::string bounds_text(const OptionSpec& spec) {
  if (spec.type == OptionType::enumeration) {
    std::string out;
    for (auto c : spec.choices) out += (out.empty() ? "" : "|") + std::string(c);
    return out;
  }
  if (!is_numeric(spec.type)) {
    return spec.must_start_with.empty()
               ? ""
               : "starting with '" + std::string(spec.must_start_with) + "'";
  }
  if (spec.max == kNoMax) {
    return spec.min == 0 ? "" : ">= " + format_number(spec, spec.min);
  }
  return format_number(spec, spec.min) + ".." + format_number(spec, spec.max);
}

std::string expectation(const OptionSpec& spec) {
  std::string what;
  switch (spec.type) {
    case OptionType::boolean:
      return "expected true or false";
    case OptionType::uint:
      what = "an integer";
      break;
    case OptionType::size:
      what = "a size such as 4096, 8KiB or 1MiB";
      break;
    case OptionType::duration:
      what = "a duration such as 500ms, 5s, 2m or 1000 (ms)";
      break;
    case OptionType::string:
      what = "a string";
      break;
    case OptionType::string_list:
      what = "a comma-separated list or an array of strings";
      break;
    case OptionType::enumeration:
      return "expected one of " + bounds_text(spec);
  }
  const std::string bounds = bounds_text(spec);
  if (bounds.empty()) return "expected " + what;
  if (!is_numeric(spec.type)) return "expected " + what + " " + bounds;
  if (bounds.starts_with(">=")) return "expected " + what + " " + bounds;
  return "expected " + what + " in " + bounds;
}

std::string format_value(const OptionSpec& spec, const Value& value) {
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const auto* n = std::get_if<std::uint64_t>(&value)) return format_number(spec, *n);
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  std::string out;
  for (const auto& item : std::get<std::vector<std::string>>(value)) {
    out += (out.empty() ? "" : ",") + item;
  }
  return out;
}

std::string_view type_name(OptionType type) {
  switch (type) {
    case OptionType::boolean:
      return "bool";
    case OptionType::uint:
      return "uint";
    case OptionType::size:
      return "size";
    case OptionType::duration:
      return "duration";
    case OptionType::string:
      return "string";
    case OptionType::string_list:
      return "list";
    case OptionType::enumeration:
      return "enum";
  }
  return "?";
}

std::string invalid_value(const OptionSpec& spec, std::string_view shown, std::string_view where) {
  return "invalid value '" + std::string(shown) + "' for " + std::string(where) + ": " +
         expectation(spec);
}

}  // namespace switchboard::config
