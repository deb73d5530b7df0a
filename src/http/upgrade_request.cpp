#include "switchboard/http/upgrade_request.hpp"

#include <algorithm>

#include "text.hpp"

namespace switchboard::http {
namespace {

// The header's value when it occurs exactly once; empty otherwise.
std::string_view single_header(const Request& request, std::string_view name) noexcept {
  const auto count =
      std::count_if(request.headers.begin(), request.headers.end(),
                    [&](const auto& field) { return text::iequals(field.first, name); });
  return count == 1 ? request.header(name) : std::string_view();
}

}  // namespace

bool is_websocket_upgrade(const Request& request) noexcept {
  return text::has_token(request.header("Upgrade"), "websocket");
}

ws::UpgradeRequest to_upgrade_request(const Request& request) noexcept {
  ws::UpgradeRequest upgrade;
  upgrade.method = request.method;
  upgrade.version = request.version;
  upgrade.target = request.target;
  upgrade.host = request.header("Host");
  upgrade.upgrade = request.header("Upgrade");
  upgrade.connection = request.header("Connection");
  upgrade.key = single_header(request, "Sec-WebSocket-Key");
  upgrade.ws_version = request.header("Sec-WebSocket-Version");
  upgrade.origin = request.header("Origin");
  upgrade.has_origin = request.has_header("Origin");
  upgrade.protocols = request.header("Sec-WebSocket-Protocol");
  upgrade.extensions = request.header("Sec-WebSocket-Extensions");
  return upgrade;
}

}  // namespace switchboard::http
