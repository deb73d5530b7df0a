#include "token_pattern.hpp"

namespace switchboard::ingress {

std::vector<std::string_view> split_dotted(std::string_view s) {
  std::vector<std::string_view> tokens;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = s.find('.', start);
    tokens.push_back(s.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return tokens;
    start = dot + 1;
  }
}

std::optional<TokenPattern> TokenPattern::parse(std::string_view text, std::string& error) {
  TokenPattern p;
  p.text_ = std::string(text);
  if (text.find_first_of(" \t\r\n") != std::string_view::npos) {
    error = "a subject has no spaces";
    return std::nullopt;
  }
  const auto tokens = split_dotted(text);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string_view t = tokens[i];
    if (t.empty()) {
      error = "an empty token (two dots, or a dot at an end)";
      return std::nullopt;
    }
    const bool wildcard = t == "*" || t == ">";
    if (!wildcard && t.find_first_of("*>") != std::string_view::npos) {
      error = "'" + std::string(t) + "': a wildcard is a whole token";
      return std::nullopt;
    }
    if (t == ">" && i + 1 != tokens.size()) {
      error = "'>' must be the last token";
      return std::nullopt;
    }
    if (wildcard) ++p.wildcards_;
    p.tokens_.emplace_back(t);
  }
  return p;
}

std::optional<std::vector<std::string_view>> TokenPattern::match(std::string_view subject) const {
  const auto tokens = split_dotted(subject);
  std::vector<std::string_view> captures;
  std::size_t offset = 0;  // where tokens[i] starts in `subject`
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    if (tokens_[i] == ">") {
      if (i >= tokens.size()) return std::nullopt;  // '>' takes at least one token
      captures.push_back(subject.substr(offset));
      return captures;
    }
    if (i >= tokens.size()) return std::nullopt;
    if (tokens_[i] == "*") {
      captures.push_back(tokens[i]);
    } else if (tokens_[i] != tokens[i]) {
      return std::nullopt;
    }
    offset += tokens[i].size() + 1;
  }
  if (tokens.size() != tokens_.size()) return std::nullopt;
  return captures;
}

}  // namespace switchboard::ingress
