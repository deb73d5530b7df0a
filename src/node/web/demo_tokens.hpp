#pragma once
// POST /demo/token: the demo's login. Anyone may name any user and gets a token for it,
// signed with the node's jwt_secret — which is why it exists only with demo on.
//
//   request   {"user": "alice"}        1–32 of A–Z a–z 0–9 _ - .
//   200       {"token": "<JWT>", "user_id": "alice", "expires_in": 3600, "ws_path": "/ws"}
//   400       bad_request (not JSON, no user, a name outside the set)
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "switchboard/config/config.hpp"
#include "switchboard/http/response.hpp"

namespace switchboard::node {

inline constexpr std::chrono::seconds kDemoTokenLifetime{3600};

// The answer to a POST /demo/token with `body`, tokens signed with `config`'s key.
http::Response demo_token(const config::Config& config, std::string_view body,
                          std::chrono::system_clock::time_point now);

// With demo on, a jwt_secret and an api_key made up for this run where none is configured
// (the demo's tokens and the dashboard need them); the log says which.
config::Config with_demo_keys(config::Config config);

}  // namespace switchboard::node
