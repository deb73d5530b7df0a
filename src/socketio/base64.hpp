#pragma once
// Standard base64 (RFC 4648 §4, alphabet A-Za-z0-9+/, '=' padding): what Engine.IO polling
// payloads carry binary packets in ("b" + base64) and what the gateway's {"$binary":"…"}
// objects hold. sb_auth's base64url is a different alphabet and refuses padding (JWS), so it
// cannot serve here. Private to sb_socketio.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::socketio::detail {

// Appends the padded encoding of `bytes` to `out`.
void append_base64(std::string& out, std::string_view bytes);

// The number of bytes `text` decodes to, or nullopt when it is not base64: a character outside
// the alphabet, '=' anywhere but the last one or two places of a length of 4n, or an unpadded
// length of 4n+1. Padding is optional (Node's Buffer, the reference decoder, accepts both);
// unused low bits in the last character are ignored, as Buffer ignores them.
std::optional<std::size_t> base64_decoded_size(std::string_view text);

// Writes the decoding of `text` (which base64_decoded_size accepted) to `dest`, which must
// have room for base64_decoded_size(text) bytes.
void decode_base64_into(std::string_view text, char* dest);

// Appends the decoding of `text` to `out`; false (and `out` unchanged) when it is not base64.
bool append_base64_decoded(std::string& out, std::string_view text);

}  // namespace switchboard::socketio::detail
