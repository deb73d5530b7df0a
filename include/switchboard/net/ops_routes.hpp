#pragma once
// The operational HTTP routes: GET / (service info), /health, /ready (503 while draining) and
// /metrics (Prometheus text).
#include <cstddef>
#include <functional>

namespace switchboard::net {

class Server;

// `users` reports the number of distinct users connected (0 when not given).
void add_ops_routes(Server& server, std::function<std::size_t()> users = {});

}  // namespace switchboard::net
