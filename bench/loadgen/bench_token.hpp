// The HS256 JWTs the load generator signs for its users (claims `sub` and `exp` one day
// ahead): what the gateway checks with --jwt-secret, whichever protocol carries the token.
#pragma once

#include <string>
#include <string_view>

namespace switchboard::bench {

std::string hs256_token(std::string_view secret, std::string_view user);

}  // namespace switchboard::bench
