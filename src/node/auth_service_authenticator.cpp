// placeholder: being implemented
#include "auth_service_authenticator.hpp"
namespace switchboard::node {
std::unique_ptr<auth::Authenticator> make_auth_service_authenticator(std::string, std::chrono::milliseconds) { return nullptr; }
}
