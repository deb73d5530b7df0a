#pragma once
// The operational HTTP routes: GET / (service info), /health, /ready (503 while draining or
// while a server the node depends on is down), /metrics (Prometheus text, or the JSON
// statistics to a client that prefers JSON) and the JSON statistics at stats_path.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "switchboard/http/router.hpp"

namespace switchboard::net {

class Server;

// A server the node depends on (a Redis shard, an ingress broker), as /health and /ready
// report it.
struct Dependency {
  std::string name;  // "redis 127.0.0.1:6379"
  bool up = true;
  std::string detail;  // why it is down
  // Down makes /ready 503 (the node cannot serve its clients: the engine's Redis). A source
  // that only feeds it (an ingress broker) makes /health "degraded" but keeps /ready 200:
  // taking the node out of the load balancer would not bring the broker back.
  bool required = true;
};

struct OpsHooks {
  // The number of distinct users connected (0 when not given).
  std::function<std::size_t()> users;
  // The node's dependencies, any thread (none when not given).
  std::function<std::vector<Dependency>()> dependencies;
  // The JSON statistics (the gateway's: node/api/stats_route.hpp), answered at stats_path and
  // by GET /metrics to a client that prefers application/json; neither route when not given.
  http::Handler stats;
};

void add_ops_routes(Server& server, OpsHooks hooks = {});

// The Prometheus text GET /metrics answers: the server's metrics and the process's (any
// thread).
std::string metrics_text(const Server& server);

// The current time as /health and the statistics write it: "2024-01-15T10:30:00.000Z".
std::string iso8601_now();

}  // namespace switchboard::net
