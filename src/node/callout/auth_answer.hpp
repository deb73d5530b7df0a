#pragma once
// What the auth service's answers become, over HTTP and over gRPC alike: the same refusals, the
// same checks of an identity's fields, the same bounded words for the client.
#include <optional>
#include <string>
#include <string_view>

#include "switchboard/auth/identity.hpp"

namespace switchboard::node::auth_answer {

// service_unavailable, "auth service unavailable: <why>" (`why` names no host: clients see it).
auth::AuthResult unavailable(std::string_view why);
// service_rejected with the service's own words (cut to 200 bytes without splitting a UTF-8
// sequence; words that are not UTF-8, or none, give `fallback`).
auth::AuthResult rejected(std::string_view words, std::string_view fallback);
// The expiry the service gave, in Unix seconds: nullopt when it is out of range (negative, or
// past 9999-12-31, where the conversion would overflow).
std::optional<std::chrono::system_clock::time_point> expiry(double unix_seconds);
// The service's info as JSON object text: nullopt when `json` is not a JSON object.
std::optional<std::string> info_object(std::string_view json);

}  // namespace switchboard::node::auth_answer
