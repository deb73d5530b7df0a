#pragma once
// The pluggable authenticator: turns a token into an Identity. JWT verification answers at
// once; an auth-service call-out answers later. Library users may supply their own.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "switchboard/auth/identity.hpp"

namespace switchboard::auth {

class JwtVerifier;

// A token with what the gateway knows of the client that sent it, for authenticators that pass
// it on (the gRPC call-out). Valid during the authenticate_request call only.
struct AuthRequest {
  std::string_view token;
  std::string_view remote_address;  // the client's IP address
  std::string_view transport;       // "websocket" (native protocol) or "socketio"
  // The upgrade request's headers named by auth_service_headers (lower-case names).
  std::span<const std::pair<std::string, std::string>> headers;
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Calls `done` exactly once, on a thread running `io` (the calling worker's loop) — possibly
  // before returning. `io` lets asynchronous implementations do I/O on the caller's worker, so a
  // slow auth service never stalls a worker and never needs a lock.
  virtual void authenticate(std::string_view token, boost::asio::io_context& io,
                            std::function<void(AuthResult)> done) = 0;
  // What the gateway calls: the same contract, with the client's address and headers. By
  // default only the token is looked at.
  virtual void authenticate_request(const AuthRequest& request, boost::asio::io_context& io,
                                    std::function<void(AuthResult)> done) {
    authenticate(request.token, io, std::move(done));
  }
};

// Verifies JWTs locally (synchronous: `done` runs before authenticate returns).
std::unique_ptr<Authenticator> make_jwt_authenticator(std::shared_ptr<const JwtVerifier> verifier);

}  // namespace switchboard::auth
