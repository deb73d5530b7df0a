#pragma once
// base64url without padding (RFC 4648 §5, as JWS requires in RFC 7515 §2). Private to sb_auth.
#include <string>
#include <string_view>

namespace switchboard::auth::detail {

// Decodes `in` into `out` (replacing its contents). Strict: returns false on any character
// outside [A-Za-z0-9_-] (padding '=' included), on a length of 4n+1, and on non-zero unused
// bits in the last character, so every byte string has exactly one accepted encoding.
bool base64url_decode(std::string_view in, std::string& out);

std::string base64url_encode(std::string_view in);

}  // namespace switchboard::auth::detail
