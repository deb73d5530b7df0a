#pragma once
// The request-target and Host rules of RFC 9112 §3.2 that a server must apply: which Host
// values are valid, and how an absolute-form target ("http://host:port/path?query") reduces to
// the origin-form ("/path?query") the router matches. Private to sb_http.
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::http {

// host [":" port] (RFC 9110 §7.2, RFC 3986 §3.2.2): only the characters of a reg-name, an IPv4
// address, an IP-literal and a port. Empty is valid: a request for a target URI without an
// authority sends an empty Host.
bool is_valid_host(std::string_view value) noexcept;

// An absolute-form target split into its authority and the origin-form the router matches.
struct AbsoluteForm {
  std::string_view authority;  // "host:port", possibly empty or invalid: the caller checks
  std::string origin;          // "/path?query"; "/" when the target has no path (§3.3)
};

// The parts of an absolute-form target with the scheme http or https (case-insensitive);
// nullopt for any other target (origin-form, asterisk-form, other schemes).
std::optional<AbsoluteForm> split_absolute_form(std::string_view target);

}  // namespace switchboard::http
