#include "switchboard/http/metrics_json.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <optional>

namespace switchboard::http {
namespace {

bool name_char(char c, bool first) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

// `{k="v",...}` from `s` (which starts at '{'); advances `s` past the '}'.
std::optional<boost::json::object> parse_labels(std::string_view& s) {
  boost::json::object labels;
  s.remove_prefix(1);
  while (true) {
    if (!s.empty() && s.front() == '}') {
      s.remove_prefix(1);
      return labels;
    }
    std::size_t n = 0;
    while (n < s.size() && name_char(s[n], n == 0)) ++n;
    if (n == 0 || n + 1 >= s.size() || s[n] != '=' || s[n + 1] != '"') return std::nullopt;
    const std::string_view name = s.substr(0, n);
    s.remove_prefix(n + 2);
    std::string value;
    while (true) {
      if (s.empty()) return std::nullopt;
      const char c = s.front();
      s.remove_prefix(1);
      if (c == '"') break;
      if (c != '\\') {
        value += c;
        continue;
      }
      if (s.empty()) return std::nullopt;
      const char e = s.front();
      s.remove_prefix(1);
      value += e == 'n' ? '\n' : e;  // \\ and \" stand for themselves
    }
    labels[name] = value;
    if (!s.empty() && s.front() == ',') s.remove_prefix(1);
  }
}

std::optional<boost::json::value> parse_value(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  // A timestamp may follow the value; /metrics writes none, a foreign text might.
  if (const auto space = s.find(' '); space != std::string_view::npos) s = s.substr(0, space);
  if (s == "NaN" || s == "+Inf" || s == "-Inf") return boost::json::value(nullptr);
  double d = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  std::uint64_t u = 0;
  const auto [uend, uec] = std::from_chars(s.data(), s.data() + s.size(), u);
  if (uec == std::errc() && uend == s.data() + s.size()) return boost::json::value(u);
  return boost::json::value(d);
}

}  // namespace

std::string metrics_json(std::string_view exposition) {
  boost::json::object metrics;
  while (!exposition.empty()) {
    const auto eol = exposition.find('\n');
    std::string_view line = exposition.substr(0, eol);
    exposition.remove_prefix(eol == std::string_view::npos ? exposition.size() : eol + 1);
    if (line.empty() || line.front() == '#') continue;
    std::size_t n = 0;
    while (n < line.size() && name_char(line[n], n == 0)) ++n;
    if (n == 0) continue;
    const std::string_view name = line.substr(0, n);
    std::string_view rest = line.substr(n);
    boost::json::object sample;
    if (!rest.empty() && rest.front() == '{') {
      auto labels = parse_labels(rest);
      if (!labels) continue;
      if (!labels->empty()) sample["labels"] = std::move(*labels);
    }
    if (rest.empty() || rest.front() != ' ') continue;
    auto value = parse_value(rest);
    if (!value) continue;
    sample["value"] = std::move(*value);
    auto& family = metrics[name];
    if (!family.is_array()) family = boost::json::array();
    family.as_array().push_back(std::move(sample));
  }
  return boost::json::serialize(boost::json::object{{"metrics", std::move(metrics)}});
}

}  // namespace switchboard::http
