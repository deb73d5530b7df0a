#pragma once
// The gateway's Prometheus metrics (switchboard_gateway_*), summed over the workers' counters,
// and the engine backend's own (switchboard_redis_*: EngineBackend::write_metrics).
namespace switchboard::node {

class Node;

void add_gateway_metrics(Node& node);

}  // namespace switchboard::node
