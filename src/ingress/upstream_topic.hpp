#pragma once
// The subject, channel or stream a broker upstream publishes an event to: upstream_topic, a
// template (template.hpp) whose fields are the event's {type}, {channel}, {user_id} and
// {node} ("events.{type}" → "events.chat_message").
#include <optional>
#include <string>

#include "switchboard/gateway.hpp"
#include "template.hpp"

namespace switchboard::ingress {

class UpstreamTopic {
 public:
  // nullopt with `error` for a template with captures or other fields.
  static std::optional<UpstreamTopic> parse(const std::string& text, std::string& error);
  std::string fill(const UpstreamEvent& event) const;
  bool per_event() const noexcept { return per_event_; }  // uses more than {node}

 private:
  explicit UpstreamTopic(Template t) : template_(std::move(t)) {}
  Template template_;
  bool per_event_ = false;
};

}  // namespace switchboard::ingress
