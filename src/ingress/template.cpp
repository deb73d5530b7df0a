#include "template.hpp"

#include <algorithm>

namespace switchboard::ingress {
namespace {

bool path_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// "a.b.c": non-empty names of letters, digits, '_' and '-', joined by single dots.
bool valid_path(std::string_view path) {
  if (path.empty() || path.front() == '.' || path.back() == '.') return false;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '.') {
      if (path[i - 1] == '.') return false;
    } else if (!path_char(path[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<Template> Template::parse(std::string_view text, std::string& error) {
  Template t;
  t.text_ = std::string(text);
  std::string literal;
  auto flush = [&] {
    if (literal.empty()) return;
    t.segments_.push_back(Segment{Segment::Kind::literal, std::move(literal), 0});
    literal.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        literal += '}';
        ++i;
        continue;
      }
      error = "unmatched '}' at " + std::to_string(i + 1) + " (write '}}' for a brace)";
      return std::nullopt;
    }
    if (c != '{') {
      literal += c;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      literal += '{';
      ++i;
      continue;
    }
    const std::size_t close = text.find('}', i + 1);
    if (close == std::string_view::npos) {
      error = "unclosed '{' at " + std::to_string(i + 1);
      return std::nullopt;
    }
    const std::string_view inside = text.substr(i + 1, close - i - 1);
    flush();
    if (inside.size() == 1 && inside[0] >= '0' && inside[0] <= '9') {
      t.segments_.push_back(
          Segment{Segment::Kind::capture, {}, static_cast<unsigned>(inside[0] - '0')});
    } else if (valid_path(inside) && !(inside[0] >= '0' && inside[0] <= '9')) {
      t.segments_.push_back(Segment{Segment::Kind::field, std::string(inside), 0});
    } else {
      error = "'{" + std::string(inside) + "}' at " + std::to_string(i + 1) +
              " is neither a capture {0}..{9} nor a field path such as {user_id} or "
              "{payload.id}";
      return std::nullopt;
    }
    i = close;
  }
  flush();
  return t;
}

unsigned Template::max_capture() const noexcept {
  unsigned n = 0;
  for (const auto& s : segments_) {
    if (s.kind == Segment::Kind::capture) n = std::max(n, s.capture);
  }
  return n;
}

bool Template::uses_fields() const noexcept {
  return std::any_of(segments_.begin(), segments_.end(),
                     [](const Segment& s) { return s.kind == Segment::Kind::field; });
}

}  // namespace switchboard::ingress
