#pragma once
// What every protocol's endpoint needs to open a session from an HTTP upgrade or handshake.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "switchboard/auth/identity.hpp"

namespace switchboard::http {
struct Request;
}

namespace switchboard::node {

// A random (version 4) UUID: session ids are opaque to clients (seed 001: "uuid-session-id").
std::string new_session_id();
// The token offered at upgrade: Authorization: Bearer, then ?token=, then the `token` cookie
// (seed 004 authenticates the upgrade request itself).
std::string upgrade_token(const http::Request& request);

// The upgrade request's headers an auth call-out passes on (auth_service_headers): lower-case
// names in the order configured, absent ones left out; null when there are none, so that a
// session without any holds no memory for them.
using ForwardedHeaders = std::vector<std::pair<std::string, std::string>>;
std::shared_ptr<const ForwardedHeaders> forwarded_headers(const http::Request& request,
                                                          const std::vector<std::string>& names);

// How a session opens: with the identity the host application authenticated (Gateway::adopt),
// else with the upgrade's token (when it had one), else waiting for an auth message or
// anonymous. `headers` go with every authentication of the session, refreshes included.
struct SessionOpening {
  std::string token;
  std::optional<auth::Identity> identity;
  std::shared_ptr<const ForwardedHeaders> headers;
};

}  // namespace switchboard::node
