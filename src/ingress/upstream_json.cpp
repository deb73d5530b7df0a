// The upstream event's JSON, shared by every transport (upstream_transport.hpp).
#include "switchboard/ingress/upstream_transport.hpp"
#include "switchboard/protocol/json_writer.hpp"

namespace switchboard::ingress {
namespace {

void write(std::string& out, const UpstreamEvent& e) {
  protocol::JsonObject o(out);
  o.string("type", e.type).raw("payload", e.payload).string("user_id", e.user_id);
  o.string("session_id", e.session_id).string("channel", e.channel);
  o.number("timestamp", static_cast<std::uint64_t>(e.timestamp_ms)).string("node", e.node);
  o.close();
}

}  // namespace

std::string to_json(const UpstreamEvent& event) {
  std::string out;
  write(out, event);
  return out;
}

std::string to_json(const std::vector<UpstreamEvent>& batch) {
  std::string out = "[";
  for (const auto& e : batch) {
    if (out.size() > 1) out.push_back(',');
    write(out, e);
  }
  out.push_back(']');
  return out;
}

}  // namespace switchboard::ingress
