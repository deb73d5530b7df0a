#pragma once
// The server API key check shared by the HTTP API (Authorization: apikey …) and the metrics
// stream (its first message): in time that does not depend on where the offered key first
// differs, so the key cannot be guessed byte by byte from response times.
#include <string_view>

namespace switchboard::node {

// True when `offered` is `key`. An empty key (the API disabled) matches nothing.
bool api_key_matches(std::string_view offered, std::string_view key) noexcept;

}  // namespace switchboard::node
