#pragma once
// The pluggable authenticator: turns a token into an Identity. JWT verification answers at
// once; an auth-service call-out answers later. Library users may supply their own.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string_view>

#include "switchboard/auth/identity.hpp"

namespace switchboard::auth {

class JwtVerifier;

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Calls `done` exactly once, on a thread running `io` (the calling worker's loop) — possibly
  // before returning. `io` lets asynchronous implementations do I/O on the caller's worker, so a
  // slow auth service never stalls a worker and never needs a lock.
  virtual void authenticate(std::string_view token, boost::asio::io_context& io,
                            std::function<void(AuthResult)> done) = 0;
};

// Verifies JWTs locally (synchronous: `done` runs before authenticate returns).
std::unique_ptr<Authenticator> make_jwt_authenticator(std::shared_ptr<const JwtVerifier> verifier);

}  // namespace switchboard::auth
