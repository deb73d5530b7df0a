#pragma once
// The auth-service call-out (seed 002's model): the token is POSTed to a configured HTTP
// endpoint, which answers who the user is. Asynchronous on the calling worker's loop, with a
// timeout; any failure is an auth.error, never a stalled worker.
//
// Request:  POST <url>  {"token": "<token>"}
// Answer:   200 {"user_id": "42", "channels": ["conv:*"], "expires_at": 1700000000,
//                "info": {...}}
//           (channels, expires_at (unix seconds) and info (an object) optional; user_id may
//           be an integer; an optional field of the wrong type invalidates the answer)
//           401/403 → service_rejected, its message the service's "error" or "message" string
//           if any; anything else, a timeout, bad JSON or no user_id → service_unavailable
//           (also logged as a warning with the URL, which clients never see).
//
// Plain http only, over each worker's own bounded pool of kept-alive connections to the service
// (webhook_client.hpp): with `callout.limits.max_queued` calls already waiting for one of its
// `max_connections`, a further authentication fails at once with service_unavailable (counted
// in `callout.stats`).
#include <memory>

#include "switchboard/auth/authenticator.hpp"
#include "webhook_client.hpp"

namespace switchboard::node {

std::unique_ptr<auth::Authenticator> make_auth_service_authenticator(Callout callout);

}  // namespace switchboard::node
