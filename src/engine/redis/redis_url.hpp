#pragma once
// Parsing where the Redis servers are, in the forms the configuration accepts:
//
//   redis_url (SWITCHBOARD_REDIS_URL, seed 002's REDIS_URL):
//     redis://[[user]:password@]host[:port][/db]   one server
//     redis://a:6379,redis://b:6379                several: the shards, in this order
//   seed 001's REDIS_HOST:  host[:port]            one server, no credentials
//
// host is a name, an IPv4 address or a bracketed IPv6 address ("[::1]"); port defaults to
// 6379, db to 0. The password (and user) may be percent-encoded (":p%40ss@" is "p@ss"), which
// is how a password containing '@', ':' or '/' is written. Not supported, with an error that
// says so: rediss:// (Debian 12's hiredis 0.14 has no TLS), unix sockets, query parameters.
//
// Every node must list the same shards in the same order (a channel's shard is a hash over
// the list); the same server twice is refused. Error messages never contain the password.
#include <string>
#include <string_view>
#include <vector>

#include "redis_endpoint.hpp"

namespace switchboard::engine::redis {

struct RedisUrlResult {
  std::vector<RedisEndpoint> shards;  // at least one when `error` is empty
  std::string error;                  // why the text was refused, for "exit 2 and the reason"

  bool ok() const noexcept { return error.empty(); }
};

// A comma-separated list of redis:// URLs (spaces around commas are ignored).
RedisUrlResult parse_redis_url(std::string_view text);

// seed 001's REDIS_HOST: "host", "host:port" or "[v6]:port".
RedisUrlResult parse_redis_host(std::string_view text);

// Where the configuration points: `url` (redis_url) or, when it is empty, `host`
// (REDIS_HOST); `password` (REDIS_PASSWORD) and a non-zero `database` (REDIS_DATABASE) apply
// to every shard whose URL names none. Both `url` and `host` set is refused (which one was
// meant?); neither gives an error too.
RedisUrlResult resolve_redis_shards(std::string_view url, std::string_view host,
                                    std::string_view password, int database);

}  // namespace switchboard::engine::redis
