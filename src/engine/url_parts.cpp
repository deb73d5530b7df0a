// The URL pieces redis_url and amqp_url share. See url_parts.hpp.
#include "switchboard/engine/url_parts.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace switchboard::engine::url {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool valid_host_name(std::string_view host) {
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}

}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string masked(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const std::size_t start = scheme_end + 3;
  const std::size_t end = std::min(url.find_first_of("/?#", start), url.size());
  const auto at = url.substr(0, end).rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(url);
  const auto userinfo = url.substr(start, at - start);
  const auto colon = userinfo.find(':');
  const std::string user(colon == std::string_view::npos ? "" : userinfo.substr(0, colon));
  return std::string(url.substr(0, start)) + user + ":***" + std::string(url.substr(at));
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

bool parse_unsigned(std::string_view s, unsigned& out) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

std::string parse_host_port(std::string_view text, std::string& host_out, std::uint16_t& port_out,
                            std::uint16_t default_port_hint) {
  std::string_view host = text, port;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return "unclosed '[' in an IPv6 address";
    host = text.substr(1, close - 1);
    const auto rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return "unexpected text after ']'";
    has_port = !rest.empty();
    if (has_port) port = rest.substr(1);
    if (host.empty()) return "missing host";
    if (host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos)
      return "invalid IPv6 address '" + std::string(host) + "'";
  } else {
    const auto colon = text.find(':');
    if (colon != std::string_view::npos) {
      if (text.find(':', colon + 1) != std::string_view::npos)
        return "an IPv6 address must be written in brackets, as [::1]:" +
               std::to_string(default_port_hint);
      host = text.substr(0, colon);
      port = text.substr(colon + 1);
      has_port = true;
    }
    if (host.empty()) return "missing host";
    if (!valid_host_name(host)) return "invalid host name '" + std::string(host) + "'";
  }
  if (has_port) {
    unsigned value = 0;
    if (!parse_unsigned(port, value) || value == 0 || value > 65535)
      return "invalid port '" + std::string(port) + "' (1-65535)";
    port_out = static_cast<std::uint16_t>(value);
  }
  host_out = std::string(host);
  return {};
}

}  // namespace switchboard::engine::url
