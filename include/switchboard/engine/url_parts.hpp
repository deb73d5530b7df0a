#pragma once
// The pieces the broker URL parsers share (redis_url, amqp_url): percent-decoding, the
// authority's host and port, the password masked for error messages. Error texts are
// fragments ("invalid port '0' (1-65535)") that the parsers put in their own sentences.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::engine::url {

std::string_view trim(std::string_view s);

// Decodes %XX escapes; nullopt for a '%' not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view s);

// "scheme://user:pass@host/…" with the password replaced by "***" (the user kept), for error
// messages; a text without credentials unchanged.
std::string masked(std::string_view url);

// "host", "host:port", "[v6]" or "[v6]:port" into `host` and (when given) `port`; an error
// fragment, or empty. `default_port_hint` is the port shown in the IPv6 example.
std::string parse_host_port(std::string_view text, std::string& host, std::uint16_t& port,
                            std::uint16_t default_port_hint);

// Decimal digits only, the whole text, no overflow.
bool parse_unsigned(std::string_view s, unsigned& out);

}  // namespace switchboard::engine::url
