// redis:// URL lists and host:port strings. See redis_url.hpp for the accepted forms.
#include "redis_url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <optional>

namespace switchboard::engine::redis {
namespace {

constexpr std::string_view kExpected = "expected redis://[[user]:password@]host[:port][/db]";

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The text with the credentials replaced by "***", for error messages.
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

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// Decodes %XX escapes; nullopt for a '%' not followed by two hex digits.
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

bool valid_host_name(std::string_view host) {
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}

template <class Int>
bool parse_number(std::string_view s, Int& out) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// "host", "host:port", "[v6]" or "[v6]:port" into `ep`; an error message or empty.
std::string parse_host_port(std::string_view text, RedisEndpoint& ep) {
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
        return "an IPv6 address must be written in brackets, as [::1]:6379";
      host = text.substr(0, colon);
      port = text.substr(colon + 1);
      has_port = true;
    }
    if (host.empty()) return "missing host";
    if (!valid_host_name(host)) return "invalid host name '" + std::string(host) + "'";
  }
  if (has_port) {
    unsigned value = 0;
    if (!parse_number(port, value) || value == 0 || value > 65535)
      return "invalid port '" + std::string(port) + "' (1-65535)";
    ep.port = static_cast<std::uint16_t>(value);
  }
  ep.host = std::string(host);
  return {};
}

std::string parse_credentials(std::string_view userinfo, RedisEndpoint& ep) {
  const auto colon = userinfo.find(':');
  if (colon == std::string_view::npos)
    return "credentials must be written ':password@' or 'user:password@'";
  auto user = percent_decode(userinfo.substr(0, colon));
  auto password = percent_decode(userinfo.substr(colon + 1));
  if (!user || !password) return "bad percent-encoding in the credentials (%XX expected)";
  if (password->empty()) return "empty password (omit ':@' for no password)";
  ep.username = std::move(*user);
  ep.password = std::move(*password);
  return {};
}

std::string parse_one_url(std::string_view url, RedisEndpoint& ep) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "missing scheme: " + std::string(kExpected);
  std::string scheme(url.substr(0, scheme_end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme == "rediss")
    return "TLS (rediss://) is not supported: Debian 12's hiredis 0.14 has no TLS";
  if (scheme == "unix" || scheme == "redis+unix") return "unix sockets are not supported";
  if (scheme != "redis") return "unsupported scheme '" + scheme + "', " + std::string(kExpected);
  const auto rest = url.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos)
    return "query parameters and fragments are not supported";
  const auto slash = rest.find('/');
  const auto authority = rest.substr(0, slash);
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    if (auto error = parse_credentials(authority.substr(0, at), ep); !error.empty()) return error;
  }
  const auto host_port = at == std::string_view::npos ? authority : authority.substr(at + 1);
  if (auto error = parse_host_port(host_port, ep); !error.empty()) return error;
  if (slash != std::string_view::npos) {
    const auto db = rest.substr(slash + 1);
    if (!db.empty() && !parse_number(db, ep.database))
      return "invalid database '/" + std::string(db) + "' (expected /<number>)";
  }
  return {};
}

RedisUrlResult failure(std::string message) {
  return {{}, std::move(message)};
}

}  // namespace

std::string RedisEndpoint::address() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

RedisUrlResult parse_redis_url(std::string_view text) {
  if (trim(text).empty()) return failure("redis_url is empty, " + std::string(kExpected));
  RedisUrlResult result;
  std::size_t index = 0;
  for (std::size_t from = 0; from <= text.size(); ++index) {
    const auto comma = std::min(text.find(',', from), text.size());
    const auto item = trim(text.substr(from, comma - from));
    from = comma + 1;
    const std::string where = "redis_url entry " + std::to_string(index + 1);
    if (item.empty()) return failure(where + " is empty (stray comma?)");
    RedisEndpoint ep;
    if (auto error = parse_one_url(item, ep); !error.empty())
      return failure(where + " '" + masked(item) + "': " + error);
    for (std::size_t i = 0; i < result.shards.size(); ++i) {
      const auto& other = result.shards[i];
      if (other.host == ep.host && other.port == ep.port && other.database == ep.database)
        return failure(where + " repeats entry " + std::to_string(i + 1) + " (" + ep.address() +
                       " db " + std::to_string(ep.database) + "): a shard may be listed once");
    }
    result.shards.push_back(std::move(ep));
  }
  return result;
}

RedisUrlResult parse_redis_host(std::string_view text) {
  RedisEndpoint ep;
  const auto trimmed = trim(text);
  if (auto error = parse_host_port(trimmed, ep); !error.empty())
    return failure("REDIS_HOST '" + std::string(trimmed) + "': " + error +
                   " (expected host or host:port)");
  return {{std::move(ep)}, {}};
}

RedisUrlResult resolve_redis_shards(std::string_view url, std::string_view host,
                                    std::string_view password, int database) {
  if (!url.empty() && !host.empty()) {
    return failure("redis_url and redis_host (REDIS_HOST) are both set: set one of them");
  }
  if (url.empty() && host.empty()) {
    return failure("the Redis engine needs redis_url (REDIS_URL) or redis_host (REDIS_HOST)");
  }
  RedisUrlResult result = url.empty() ? parse_redis_host(host) : parse_redis_url(url);
  for (auto& shard : result.shards) {
    if (shard.password.empty()) shard.password = std::string(password);
    if (shard.database == 0) shard.database = database;
  }
  return result;
}

}  // namespace switchboard::engine::redis
