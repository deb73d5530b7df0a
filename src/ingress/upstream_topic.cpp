#include "upstream_topic.hpp"

namespace switchboard::ingress {

std::optional<UpstreamTopic> UpstreamTopic::parse(const std::string& text, std::string& error) {
  auto t = Template::parse(text, error);
  if (!t) return std::nullopt;
  if (t->segments().empty()) {
    error = "an empty topic";
    return std::nullopt;
  }
  UpstreamTopic topic(std::move(*t));
  for (const auto& s : topic.template_.segments()) {
    if (s.kind == Template::Segment::Kind::literal) continue;
    if (s.kind == Template::Segment::Kind::capture ||
        (s.text != "type" && s.text != "channel" && s.text != "user_id" && s.text != "node")) {
      error = "a topic takes {type}, {channel}, {user_id} and {node} only";
      return std::nullopt;
    }
    if (s.text != "node") topic.per_event_ = true;
  }
  return topic;
}

std::string UpstreamTopic::fill(const UpstreamEvent& event) const {
  std::string out;
  for (const auto& s : template_.segments()) {
    if (s.kind == Template::Segment::Kind::literal) {
      out += s.text;
    } else if (s.text == "type") {
      out += event.type;
    } else if (s.text == "channel") {
      out += event.channel;
    } else if (s.text == "user_id") {
      out += event.user_id;
    } else {
      out += event.node;
    }
  }
  return out;
}

}  // namespace switchboard::ingress
