#pragma once
// The auth-service call-out (seed 002's model): the token is POSTed to a configured HTTP
// endpoint, which answers who the user is. Asynchronous on the calling worker's loop, with a
// timeout; any failure is an auth.error, never a stalled worker.
//
// Request:  POST <url>  {"token": "<token>"}
// Answer:   200 {"user_id": "42", "channels": ["conv:*"], "expires_at": 1700000000}
//           (channels and expires_at optional; user_id may be a number)
//           401/403 → service_rejected; anything else, a timeout or bad JSON → service_unavailable
#include <chrono>
#include <memory>
#include <string>

#include "switchboard/auth/authenticator.hpp"

namespace switchboard::node {

std::unique_ptr<auth::Authenticator> make_auth_service_authenticator(
    std::string url, std::chrono::milliseconds timeout);

}  // namespace switchboard::node
