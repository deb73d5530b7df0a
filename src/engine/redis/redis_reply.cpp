// Conversion from hiredis's reply tree and a printable form.
#include "redis_reply.hpp"

#include <hiredis/hiredis.h>

namespace switchboard::engine::redis {

RedisReply RedisReply::from_hiredis(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
    case REDIS_REPLY_INTEGER:
      out.type = Type::integer;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.type = r.type == REDIS_REPLY_STRING   ? Type::string
                 : r.type == REDIS_REPLY_STATUS ? Type::status
                                                : Type::error;
      out.str.assign(r.str, r.len);  // len, not strlen: bulk strings may hold NULs
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Type::array;
      out.elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i)
        out.elements.push_back(from_hiredis(*r.element[i]));
      break;
    default:  // REDIS_REPLY_NIL
      break;
  }
  return out;
}

std::string to_string(const RedisReply& reply) {
  using Type = RedisReply::Type;
  switch (reply.type) {
    case Type::nil:
      return "(nil)";
    case Type::integer:
      return "(integer) " + std::to_string(reply.integer);
    case Type::string:
      return "\"" + reply.str + "\"";
    case Type::status:
      return reply.str;
    case Type::error:
      return "(error) " + reply.str;
    case Type::array: {
      std::string out = "[";
      for (std::size_t i = 0; i < reply.elements.size(); ++i) {
        if (i) out += ", ";
        out += to_string(reply.elements[i]);
      }
      return out + "]";
    }
  }
  return {};
}

}  // namespace switchboard::engine::redis
