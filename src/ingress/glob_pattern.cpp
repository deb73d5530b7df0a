#include "glob_pattern.hpp"

namespace switchboard::ingress {

std::optional<GlobPattern> GlobPattern::parse(std::string_view text, std::string& error) {
  if (text.empty()) {
    error = "an empty pattern";
    return std::nullopt;
  }
  GlobPattern p;
  p.text_ = std::string(text);
  for (std::size_t i = 0; i < text.size(); ++i) {
    Token t;
    switch (text[i]) {
      case '*':
        t.kind = Token::Kind::any_run;
        // "**" matches what "*" does; one capture, as Redis's matcher also folds them.
        while (i + 1 < text.size() && text[i + 1] == '*') ++i;
        break;
      case '?':
        t.kind = Token::Kind::any_one;
        break;
      case '[': {
        t.kind = Token::Kind::set;
        std::size_t j = i + 1;
        if (j < text.size() && text[j] == '^') {
          t.negated = true;
          ++j;
        }
        bool closed = false;
        for (; j < text.size(); ++j) {
          char c = text[j];
          if (c == ']') {
            closed = true;
            break;
          }
          if (c == '\\' && j + 1 < text.size()) c = text[++j];
          char hi = c;
          if (j + 2 < text.size() && text[j + 1] == '-' && text[j + 2] != ']') {
            hi = text[j + 2];
            j += 2;
          }
          t.ranges += std::min(c, hi);
          t.ranges += std::max(c, hi);
        }
        if (!closed) {
          error = "unclosed '[' at " + std::to_string(i + 1);
          return std::nullopt;
        }
        i = j;
        break;
      }
      case '\\':
        if (i + 1 == text.size()) {
          error = "a trailing '\\'";
          return std::nullopt;
        }
        t.ch = text[++i];
        break;
      default:
        t.ch = text[i];
    }
    if (t.kind != Token::Kind::literal) ++p.wildcards_;
    p.tokens_.push_back(std::move(t));
  }
  return p;
}

bool GlobPattern::in_set(const Token& t, char c) {
  bool found = false;
  for (std::size_t k = 0; k + 1 < t.ranges.size(); k += 2) {
    if (c >= t.ranges[k] && c <= t.ranges[k + 1]) found = true;
  }
  return found != t.negated;
}

std::optional<std::vector<std::string_view>> GlobPattern::match(std::string_view channel) const {
  std::vector<std::string_view> captures;
  captures.reserve(wildcards_);
  unsigned steps = 0;
  if (!match_from(0, channel, steps, captures)) return std::nullopt;
  return captures;
}

bool GlobPattern::match_from(std::size_t token, std::string_view rest, unsigned& steps,
                             std::vector<std::string_view>& captures) const {
  if (++steps > kMaxSteps) return false;
  if (token == tokens_.size()) return rest.empty();
  const Token& t = tokens_[token];
  if (t.kind == Token::Kind::any_run) {
    // Lazy: the shortest run that lets the rest match.
    for (std::size_t n = 0; n <= rest.size(); ++n) {
      captures.push_back(rest.substr(0, n));
      if (match_from(token + 1, rest.substr(n), steps, captures)) return true;
      captures.pop_back();
    }
    return false;
  }
  if (rest.empty()) return false;
  const char c = rest.front();
  switch (t.kind) {
    case Token::Kind::literal:
      if (c != t.ch) return false;
      return match_from(token + 1, rest.substr(1), steps, captures);
    case Token::Kind::any_one:
    case Token::Kind::set:
      if (t.kind == Token::Kind::set && !in_set(t, c)) return false;
      captures.push_back(rest.substr(0, 1));
      if (match_from(token + 1, rest.substr(1), steps, captures)) return true;
      captures.pop_back();
      return false;
    case Token::Kind::any_run:
      break;
  }
  return false;
}

}  // namespace switchboard::ingress
