#pragma once
// The Redis engine (src/engine/redis/, docs/engine.md, docs/cluster.md): every interface of the
// engine on one or more Redis servers, so that any number of nodes pointed at the same servers
// behave as one gateway.
#include <chrono>
#include <string>

#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/engine.hpp"

namespace switchboard::engine {

struct RedisEngineConfig {
  // redis_url (comma-separated shards) or, instead, seed 001's host[:port]; see redis_url.hpp.
  std::string url;
  std::string host;
  std::string password;  // for shards whose URL names none
  int database = 0;      // for shards whose URL names none
  std::string prefix = "switchboard:";
  std::chrono::milliseconds command_timeout{4000};
  std::size_t max_in_flight = 100000;  // commands awaiting replies, per connection
  // How long a channel's stream position, once a subscriber read it and nothing was published,
  // is kept (history_ttl): recovery across that first publication needs the same epoch.
  std::chrono::milliseconds empty_stream_ttl{std::chrono::minutes(5)};
  // false: Engine::broker is left empty for a relay broker (relay/relay_broker.hpp: RabbitMQ or
  // NATS between the nodes); Redis keeps history, keys and the rest. The Pub/Sub broker then
  // never starts: it opens no connection and its metrics stay 0.
  bool pubsub_broker = true;
};

// Builds the engine; it connects when its backend is started (Node::start). Throws
// std::invalid_argument when the address cannot be used (the configuration checks it first).
Engine make_redis_engine(const RedisEngineConfig& config, NowFn now = system_now());

}  // namespace switchboard::engine
