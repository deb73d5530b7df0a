// The Redis client's error category and its mapping onto EngineErrc.
#include "redis_error.hpp"

#include <string>

#include "switchboard/engine/error.hpp"

namespace switchboard::engine::redis {
namespace {

class RedisCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "switchboard.redis"; }
  std::string message(int code) const override {
    switch (static_cast<RedisErrc>(code)) {
      case RedisErrc::not_connected:
        return "not connected to Redis";
      case RedisErrc::too_many_in_flight:
        return "too many Redis commands in flight";
      case RedisErrc::timeout:
        return "Redis did not answer in time";
      case RedisErrc::connection_lost:
        return "Redis connection lost";
      case RedisErrc::error_reply:
        return "Redis answered with an error";
      case RedisErrc::shut_down:
        return "Redis connection shut down";
      case RedisErrc::unsupported_command:
        return "command not allowed on a Redis command connection (use RedisSubscriber)";
      case RedisErrc::resolve_failed:
        return "Redis host name did not resolve";
      case RedisErrc::connect_failed:
        return "cannot connect to Redis";
      case RedisErrc::auth_failed:
        return "Redis authentication failed";
      case RedisErrc::setup_failed:
        return "Redis connection setup failed";
    }
    return "unknown Redis error";
  }
};

}  // namespace

const std::error_category& redis_category() noexcept {
  static const RedisCategory category;
  return category;
}

std::error_code to_engine_error(std::error_code ec) noexcept {
  if (!ec || ec.category() != redis_category()) return ec;
  switch (static_cast<RedisErrc>(ec.value())) {
    case RedisErrc::timeout:
    case RedisErrc::connection_lost:
      return EngineErrc::timeout;
    default:
      return EngineErrc::unavailable;
  }
}

}  // namespace switchboard::engine::redis
