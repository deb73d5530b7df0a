#pragma once
// A binding key of a RabbitMQ topic exchange ("room.*", "events.#", "#") and the captures of a
// routing key it matches, for the rule's templates {1}…{9}. Words are separated by '.'; '*'
// is exactly one word, '#' zero or more; any other word (also "a*") is literal, as RabbitMQ
// reads it. Captures, left to right: each '*' its word, each '#' the words it covers joined by
// '.' (empty when it covers none), each '#' as few words as it can be — "#.x.#" on "a.x.b.x"
// gives "a" and "b.x". RabbitMQ decides which routing keys reach the queue; this gives the
// captures of the binding that matched.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::ingress {

class BindingPattern {
 public:
  // nullopt with `error` for a key RabbitMQ refuses (over 255 bytes).
  static std::optional<BindingPattern> parse(std::string_view text, std::string& error);

  std::optional<std::vector<std::string_view>> match(std::string_view routing_key) const;
  unsigned wildcards() const noexcept { return wildcards_; }
  const std::string& text() const noexcept { return text_; }

 private:
  std::string text_;
  std::vector<std::string> words_;
  unsigned wildcards_ = 0;
};

}  // namespace switchboard::ingress
