#pragma once
// A Redis PSUBSCRIBE glob ("ws:conv:*", "h?llo", "news.[ab]*", "\*" for a literal star) and
// the captures of a channel that matches it. Redis decides which channels match; this gives
// the rule's templates {1}…{9}: each wildcard (*, ?, [..]) is one capture, in order, and each
// '*' takes as little as it can, left to right ("a:*:*" on "a:b:c:d" captures "b" and "c:d").
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::ingress {

class GlobPattern {
 public:
  // nullopt with `error` set when `text` is empty or has an unclosed '[' or a trailing '\'.
  static std::optional<GlobPattern> parse(std::string_view text, std::string& error);

  // The captures of `channel`, or nullopt when it does not match (or when finding them would
  // take more than kMaxSteps backtracking steps: "*a*a*a*a*b" against a long channel is
  // exponential, and a hostile publisher chooses the channel). Views into `channel`.
  std::optional<std::vector<std::string_view>> match(std::string_view channel) const;
  unsigned wildcards() const noexcept { return wildcards_; }
  const std::string& text() const noexcept { return text_; }

 private:
  struct Token {
    enum class Kind { literal, any_run, any_one, set } kind = Kind::literal;
    char ch = 0;             // literal
    bool negated = false;    // set: [^..]
    std::string ranges;      // set: pairs lo,hi
  };
  static constexpr unsigned kMaxSteps = 100000;
  bool match_from(std::size_t token, std::string_view rest, unsigned& steps,
                  std::vector<std::string_view>& captures) const;
  static bool in_set(const Token& t, char c);

  std::string text_;
  std::vector<Token> tokens_;
  unsigned wildcards_ = 0;
};

}  // namespace switchboard::ingress
