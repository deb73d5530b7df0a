#pragma once
// What every protocol's endpoint needs to open a session from an HTTP upgrade or handshake.
#include <string>

namespace switchboard::http {
struct Request;
}

namespace switchboard::node {

// A random (version 4) UUID: session ids are opaque to clients (seed 001: "uuid-session-id").
std::string new_session_id();
// The token offered at upgrade: Authorization: Bearer, then ?token=, then the `token` cookie
// (seed 004 authenticates the upgrade request itself).
std::string upgrade_token(const http::Request& request);

}  // namespace switchboard::node
