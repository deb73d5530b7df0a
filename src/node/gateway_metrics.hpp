#pragma once
// The gateway's Prometheus metrics (switchboard_gateway_*), summed over the workers' counters.
namespace switchboard::node {

class Node;

void add_gateway_metrics(Node& node);

}  // namespace switchboard::node
