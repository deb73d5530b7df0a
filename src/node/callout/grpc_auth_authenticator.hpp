#pragma once
// The auth call-out over gRPC (seed 002's auth service): AuthService.Authenticate of
// proto/switchboard/auth/v1/auth.proto, with the token, the client's address, the transport and
// the upgrade headers auth_service_headers names.
//
// One channel per node (HTTP/2: every call multiplexed on it, reconnected by gRPC when it
// breaks), gRPC's callback API: the call runs on gRPC's own threads and its answer is posted to
// the calling worker's loop, which never waits. Each call has a deadline of `timeout`; a
// service that is down fails at once (no waiting for it to come back). At most `max_in_flight`
// calls are unanswered at once; one more fails at once with service_unavailable, counted in
// `stats`.
//
// Answers (the same mapping as the HTTP call-out):
//   OK with a user_id              the identity (channels; expires_at Unix seconds, 0: none;
//                                  info_json a JSON object or empty)
//   UNAUTHENTICATED, PERMISSION_DENIED
//                                  service_rejected, the status message as the client's
//   anything else, the deadline, an answer without user_id or with a bad field
//                                  service_unavailable; logged as a warning with the target and
//                                  the status (the client is told only the status code's name)
//
// Destroying the authenticator cancels the calls still running and waits for their callbacks
// (the loops they post to must still exist; the node is destroyed before the server).
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "switchboard/auth/authenticator.hpp"
#include "webhook_client.hpp"

namespace switchboard::node {

struct GrpcAuthCallout {
  std::string target;   // "host:port"
  bool tls = false;     // grpcs://
  std::string ca_file;  // PEM roots for tls; empty: the system's
  std::chrono::milliseconds timeout{3000};
  std::size_t max_in_flight = 1024;
  std::shared_ptr<CalloutStats> stats;  // optional
};

// "grpc://host:port" / "grpcs://host:port" into target and tls; false for another scheme. The
// rest of the URL is checked with the configuration (config::load: host:port, no path).
bool parse_grpc_url(std::string_view url, GrpcAuthCallout& out);

// Throws std::runtime_error when ca_file cannot be read.
std::unique_ptr<auth::Authenticator> make_grpc_auth_authenticator(GrpcAuthCallout callout);

}  // namespace switchboard::node
