#include "redis_server_for.hpp"

#include <stdexcept>

#include "redis_url.hpp"

namespace switchboard::ingress {

engine::redis::RedisEndpoint redis_server_for(const config::Config& c, const std::string& url,
                                              std::string_view what) {
  const int database = static_cast<int>(c.redis_database);
  const auto resolved =
      url.empty()
          ? engine::redis::resolve_redis_shards(c.redis_url, c.redis_host, c.redis_password,
                                                database)
          : engine::redis::resolve_redis_shards(url, "", c.redis_password, database);
  if (!resolved.ok()) throw std::invalid_argument(std::string(what) + ": " + resolved.error);
  return resolved.shards.front();
}

}  // namespace switchboard::ingress
