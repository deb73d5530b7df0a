#pragma once
// The operational HTTP routes: GET / (service info), /health, /ready (503 while draining) and
// /metrics (Prometheus text).
namespace switchboard::net {

class Server;

void add_ops_routes(Server& server);

}  // namespace switchboard::net
