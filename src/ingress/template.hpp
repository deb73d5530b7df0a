#pragma once
// A target template of an ingress rule: "conv:{1}", "user:{payload.user.id}", "{0}". Parsed
// once when the configuration loads, filled per message:
// - {0} is the whole subject (Redis channel, NATS subject, AMQP routing key), {1}…{9} the
//   captures of the rule's pattern (glob_pattern.hpp), in the order of its wildcards;
// - {name} or {a.b.c} is a field of the message, a JSON object, by dotted path;
// - "{{" and "}}" are a literal brace.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::ingress {

class Template {
 public:
  struct Segment {
    enum class Kind : std::uint8_t { literal, capture, field };
    Kind kind = Kind::literal;
    std::string text;      // literal: the text; field: the dotted path
    unsigned capture = 0;  // capture: 0 = the subject, 1..9 = the pattern's captures
  };

  // nullopt with `error` set ("unclosed '{' at 5") when `text` is not a template.
  static std::optional<Template> parse(std::string_view text, std::string& error);

  const std::vector<Segment>& segments() const noexcept { return segments_; }
  // The highest {n} used (0 when none): must not exceed the wildcards of the rule's patterns.
  unsigned max_capture() const noexcept;
  bool uses_fields() const noexcept;
  const std::string& text() const noexcept { return text_; }

 private:
  std::string text_;
  std::vector<Segment> segments_;
};

}  // namespace switchboard::ingress
