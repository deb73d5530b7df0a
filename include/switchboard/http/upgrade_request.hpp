#pragma once
// Bridges a parsed HTTP request to the WebSocket handshake (sb_ws), which takes header values
// and knows nothing of the HTTP parser.
#include "switchboard/http/request.hpp"
#include "switchboard/ws/handshake.hpp"

namespace switchboard::http {

// True when the Upgrade header lists the "websocket" token (case-insensitive). Such a request
// was parsed without a body: the bytes after it belong to the WebSocket stream.
bool is_websocket_upgrade(const Request& request) noexcept;

// The handshake fields of `request`. The views point into `request`, which must outlive the
// result and not be modified meanwhile. A header sent more than once that RFC 6455 §4.1 allows
// only once (Sec-WebSocket-Key) is passed as empty, so that the handshake refuses it. Any
// thread; no allocation.
ws::UpgradeRequest to_upgrade_request(const Request& request) noexcept;

}  // namespace switchboard::http
