// redis:// URL lists and host:port strings. See redis_url.hpp for the accepted forms.
#include "redis_url.hpp"

#include "switchboard/engine/url_parts.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <optional>

namespace switchboard::engine::redis {
namespace {

using url::masked;
using url::percent_decode;
using url::trim;

constexpr std::string_view kExpected = "expected redis://[[user]:password@]host[:port][/db]";

// "host", "host:port", "[v6]" or "[v6]:port" into `ep`; an error message or empty.
std::string parse_host_port(std::string_view text, RedisEndpoint& ep) {
  return url::parse_host_port(text, ep.host, ep.port, 6379);
}

bool parse_number(std::string_view s, int& out) {
  unsigned value = 0;
  if (!url::parse_unsigned(s, value) || value > static_cast<unsigned>(std::numeric_limits<int>::max()))
    return false;
  out = static_cast<int>(value);
  return true;
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
