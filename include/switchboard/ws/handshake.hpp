#pragma once
// The server side of the opening handshake (RFC 6455 §4.2): validating an upgrade request and
// rendering the 101 response. Independent of any HTTP parser: the caller passes the header
// values it extracted (the http module uses Beast's parser).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/ws/deflate.hpp"

namespace switchboard::ws {

struct UpgradeRequest {
  std::string_view method;      // "GET"
  unsigned version = 11;        // HTTP version * 10
  std::string_view target;      // "/ws?token=..."
  std::string_view host;
  std::string_view upgrade;     // Upgrade header, e.g. "websocket"
  std::string_view connection;  // Connection header, e.g. "keep-alive, Upgrade"
  std::string_view key;         // Sec-WebSocket-Key
  std::string_view ws_version;  // Sec-WebSocket-Version
  std::string_view origin;      // Origin (absent: empty)
  std::string_view protocols;   // Sec-WebSocket-Protocol (comma-separated offers)
  std::string_view extensions;  // Sec-WebSocket-Extensions
  bool has_origin = false;
};

struct HandshakePolicy {
  // Allowed Origin values (exact, case-insensitive, e.g. "https://app.example.com"), or "*".
  // Empty: every origin allowed. A request without Origin (non-browser client) is allowed.
  std::vector<std::string> allowed_origins;
  // Subprotocols the server speaks, in order of preference; the first one the client also
  // offers is selected. A client offering only unknown ones gets none (RFC 6455 §4.2.2).
  std::vector<std::string> subprotocols;
  DeflateConfig deflate;
};

// Why a request is refused; rendered by render_handshake_error().
struct HandshakeError {
  unsigned status = 400;    // 400, 403, 405, 426, ...
  std::string_view reason;  // static text for the response body and the metrics label
};

struct HandshakeAccept {
  std::string accept_key;  // Sec-WebSocket-Accept
  std::string subprotocol; // empty: none selected
  std::optional<DeflateAgreement> deflate;
};

// Checks method GET (405), HTTP/1.1 or later (400), Upgrade contains "websocket" and
// Connection contains the "upgrade" token (400, case-insensitive, token lists), a key that
// is base64 of 16 bytes (400), Sec-WebSocket-Version 13 (426, with
// "Sec-WebSocket-Version: 13" in the response), Origin in the allow-list (403); negotiates
// the subprotocol and permessage-deflate.
struct HandshakeResult {
  std::optional<HandshakeAccept> accept;
  HandshakeError error;
};
HandshakeResult evaluate_upgrade(const UpgradeRequest& request, const HandshakePolicy& policy);

// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")) (RFC 6455 §4.2.2 step 5.4).
std::string compute_accept_key(std::string_view key);

// "HTTP/1.1 101 Switching Protocols\r\n..." with Upgrade, Connection, Sec-WebSocket-Accept
// and, when negotiated, Sec-WebSocket-Protocol and Sec-WebSocket-Extensions.
std::string render_handshake_response(const HandshakeAccept& accept);

// A complete HTTP/1.1 error response (JSON body {"error": reason}, Connection: close, and
// Sec-WebSocket-Version: 13 for 426).
std::string render_handshake_error(const HandshakeError& error);

}  // namespace switchboard::ws
