#pragma once
// RedisEndpoint: where one Redis server is and how to log in to it (one shard of redis_url).
#include <cstdint>
#include <string>

namespace switchboard::engine::redis {

struct RedisEndpoint {
  std::string host = "127.0.0.1";  // a name (resolved asynchronously) or an IPv4/IPv6 address
  std::uint16_t port = 6379;
  std::string username;  // Redis 6 ACL user; empty: AUTH <password> (the "default" user)
  std::string password;  // empty: no AUTH
  int database = 0;      // SELECT on connect when not 0

  // "host:port" ("[v6]:port"), without credentials: safe for logs and error messages.
  std::string address() const;

  friend bool operator==(const RedisEndpoint&, const RedisEndpoint&) = default;
};

}  // namespace switchboard::engine::redis
