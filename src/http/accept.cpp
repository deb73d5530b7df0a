#include "switchboard/http/accept.hpp"

#include <optional>

namespace switchboard::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// qvalue = "0" ["." 0*3DIGIT] / "1" ["." 0*3"0"], in thousandths; nullopt when malformed.
std::optional<int> parse_quality(std::string_view v) {
  if (v.empty() || (v[0] != '0' && v[0] != '1')) return std::nullopt;
  int thousandths = v[0] == '1' ? 1000 : 0;
  if (v.size() == 1) return thousandths;
  if (v[1] != '.' || v.size() > 5) return std::nullopt;
  int scale = 100;
  for (char c : v.substr(2)) {
    if (c < '0' || c > '9' || (thousandths == 1000 && c != '0')) return std::nullopt;
    thousandths += (c - '0') * scale;
    scale /= 10;
  }
  return thousandths;
}

// One element of the header: "type/subtype" with its quality.
struct Range {
  std::string_view type;
  std::string_view subtype;
  int quality = 1000;
};

std::optional<Range> parse_range(std::string_view element) {
  const std::size_t semicolon = element.find(';');
  const std::string_view media = trim(element.substr(0, semicolon));
  const std::size_t slash = media.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == media.size()) {
    return std::nullopt;
  }
  Range range{media.substr(0, slash), media.substr(slash + 1)};
  if (range.type == "*" && range.subtype != "*") return std::nullopt;
  std::string_view params = semicolon == std::string_view::npos ? "" : element.substr(semicolon + 1);
  while (!params.empty()) {
    const std::size_t next = params.find(';');
    const std::string_view param = trim(params.substr(0, next));
    params = next == std::string_view::npos ? "" : params.substr(next + 1);
    if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
      const auto q = parse_quality(trim(param.substr(2)));
      if (!q) return std::nullopt;
      range.quality = *q;
    }
  }
  return range;
}

// How `offered` fares against the header: its quality, and where the header names it exactly.
struct Match {
  int specificity = 0;  // 0 none, 1 */*, 2 type/*, 3 exact
  int quality = 0;
  std::size_t exact_position = SIZE_MAX;
};

Match match(std::string_view accept, std::string_view offered) {
  const std::size_t slash = offered.find('/');
  const std::string_view type = offered.substr(0, slash);
  const std::string_view subtype = slash == std::string_view::npos ? "" : offered.substr(slash + 1);
  Match best;
  std::size_t position = 0;
  while (!accept.empty()) {
    const std::size_t comma = accept.find(',');
    const auto range = parse_range(accept.substr(0, comma));
    accept = comma == std::string_view::npos ? "" : accept.substr(comma + 1);
    if (!range) continue;
    int specificity = 0;
    if (range->type == "*") {
      specificity = 1;
    } else if (iequals(range->type, type)) {
      if (range->subtype == "*") specificity = 2;
      if (iequals(range->subtype, subtype)) specificity = 3;
    }
    if (specificity == 3 && best.exact_position == SIZE_MAX) best.exact_position = position;
    if (specificity > best.specificity) {
      best.specificity = specificity;
      best.quality = range->quality;
    }
    ++position;
  }
  return best;
}

}  // namespace

std::size_t negotiate(std::string_view accept, std::span<const std::string_view> offered) {
  if (trim(accept).empty()) return 0;
  std::size_t chosen = offered.size();
  Match chosen_match;
  for (std::size_t i = 0; i < offered.size(); ++i) {
    const Match m = match(accept, offered[i]);
    if (m.quality == 0) continue;
    const bool better = chosen == offered.size() || m.quality > chosen_match.quality ||
                        (m.quality == chosen_match.quality &&
                         m.exact_position < chosen_match.exact_position);
    if (better) {
      chosen = i;
      chosen_match = m;
    }
  }
  return chosen;
}

}  // namespace switchboard::http
