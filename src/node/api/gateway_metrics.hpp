#pragma once
// The gateway's Prometheus metrics (switchboard_gateway_*), summed over the workers' counters,
// the engine backend's own (switchboard_redis_*: EngineBackend::write_metrics) and the broker
// ingress's (switchboard_ingress_*).
namespace switchboard::ingress {
class Ingress;
}

namespace switchboard::node {

class Node;
class WorkerGateways;

// `workers` and `ingress` must outlive the server's metrics calls (the Gateway owns them).
void add_gateway_metrics(Node& node, const WorkerGateways& workers,
                         const ingress::Ingress& ingress);

}  // namespace switchboard::node
