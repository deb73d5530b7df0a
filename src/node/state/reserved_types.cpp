#include "reserved_types.hpp"

#include <algorithm>
#include <array>

namespace switchboard::node {
namespace {

// Every type docs/protocol.md lists under "Server → client" and the replies; keep in step.
constexpr std::array<std::string_view, 17> kServerTypes = {
    "connected",      "auth.success",  "auth.error",    "error",       "pong",
    "subscribed",     "unsubscribed",  "snapshot",      "recovered",   "not_recovered",
    "presence.join",  "presence.leave", "presence.state", "typing.start", "typing.stop",
    "history",        "ack",
};

}  // namespace

bool reserved_event_type(std::string_view type, const std::vector<std::string>& prefixes) noexcept {
  if (std::find(kServerTypes.begin(), kServerTypes.end(), type) != kServerTypes.end()) return true;
  return std::any_of(prefixes.begin(), prefixes.end(), [type](const std::string& prefix) {
    return !prefix.empty() && type.substr(0, prefix.size()) == prefix;
  });
}

}  // namespace switchboard::node
