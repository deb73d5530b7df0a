#pragma once
// RedisReply: one Redis (RESP2) reply as an owned value, converted from hiredis's redisReply
// before hiredis frees it, so that completions may keep it, move it or post it elsewhere.
//
// RESP2 as hiredis 0.14 parses it has exactly these six kinds (no RESP3: no maps, doubles,
// booleans, pushes). A nil bulk string and a nil array both arrive as `nil`.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct redisReply;  // hiredis

namespace switchboard::engine::redis {

struct RedisReply {
  enum class Type : std::uint8_t { nil, integer, string, status, error, array };

  Type type = Type::nil;
  std::int64_t integer = 0;          // Type::integer
  std::string str;                   // Type::string (binary-safe), status, error
  std::vector<RedisReply> elements;  // Type::array

  bool is_nil() const noexcept { return type == Type::nil; }
  bool is_error() const noexcept { return type == Type::error; }
  // A status or a bulk string equal to `text` ("OK", "PONG").
  bool is_text(std::string_view text) const noexcept {
    return (type == Type::status || type == Type::string) && str == text;
  }

  static RedisReply from_hiredis(const redisReply& reply);
};

// A redis-cli-like rendering for logs and test failure messages.
std::string to_string(const RedisReply& reply);

}  // namespace switchboard::engine::redis
