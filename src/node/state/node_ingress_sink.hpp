#pragma once
// NodeIngressSink: the ingress module's IngressSink over this node — a routed broker message
// becomes a publication on its channel, a send to a user, or a broadcast, exactly as the
// server API's calls do (history, acknowledgements and the offline store included).
#include "node.hpp"
#include "switchboard/ingress/ingress_sink.hpp"

namespace switchboard::node {

class NodeIngressSink final : public ingress::IngressSink {
 public:
  explicit NodeIngressSink(Node& node) : node_(node) {}
  void deliver(ingress::IngressDelivery delivery, Done done) override;
  std::string node_id() const override { return node_.id(); }

 private:
  Node& node_;
};

}  // namespace switchboard::node
