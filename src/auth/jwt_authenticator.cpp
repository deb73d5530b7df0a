#include <chrono>

#include "switchboard/auth/authenticator.hpp"
#include "switchboard/auth/jwt_verifier.hpp"

namespace switchboard::auth {
namespace {

class JwtAuthenticator final : public Authenticator {
 public:
  explicit JwtAuthenticator(std::shared_ptr<const JwtVerifier> verifier)
      : verifier_(std::move(verifier)) {}

  void authenticate(std::string_view token, boost::asio::io_context& /*io*/,
                    std::function<void(AuthResult)> done) override {
    done(verifier_->verify(token, std::chrono::system_clock::now()));
  }

 private:
  std::shared_ptr<const JwtVerifier> verifier_;
};

}  // namespace

std::unique_ptr<Authenticator> make_jwt_authenticator(std::shared_ptr<const JwtVerifier> verifier) {
  return std::make_unique<JwtAuthenticator>(std::move(verifier));
}

}  // namespace switchboard::auth
