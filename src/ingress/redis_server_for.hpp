#pragma once
// Which Redis server an ingress rule or the Redis upstream talks to: the address `url` names,
// else the engine's first server (backends publish to one server, not to the engine's shards).
#include <string>
#include <string_view>

#include "redis_endpoint.hpp"
#include "switchboard/config/config.hpp"

namespace switchboard::ingress {

// Throws std::invalid_argument, naming `what`, for an address the configuration check refuses.
engine::redis::RedisEndpoint redis_server_for(const config::Config& c, const std::string& url,
                                              std::string_view what);

}  // namespace switchboard::ingress
