#pragma once
// A NATS subject pattern ("orders.*.created", "events.>") and the captures of a subject that
// matches it, for the rule's templates {1}…{9}: each '*' captures its one token, a final '>'
// the rest of the subject (one or more tokens, joined by '.'). The server decides which
// subjects match; this gives the captures.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::ingress {

// The tokens of a dotted name ("a.b" → "a", "b"; "" → one empty token), as views into it:
// NATS subjects and AMQP routing keys both.
std::vector<std::string_view> split_dotted(std::string_view name);

class TokenPattern {
 public:
  // nullopt with `error` set for what NATS refuses: an empty subject or token, a wildcard
  // inside a token ("a*"), '>' anywhere but last, spaces.
  static std::optional<TokenPattern> parse(std::string_view text, std::string& error);

  std::optional<std::vector<std::string_view>> match(std::string_view subject) const;
  unsigned wildcards() const noexcept { return wildcards_; }
  const std::string& text() const noexcept { return text_; }

 private:
  std::string text_;
  std::vector<std::string> tokens_;
  unsigned wildcards_ = 0;
};

}  // namespace switchboard::ingress
