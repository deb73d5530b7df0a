#include "node_ingress_sink.hpp"

#include "channel_name.hpp"

namespace switchboard::node {

void NodeIngressSink::deliver(ingress::IngressDelivery delivery, Done done) {
  engine::Publication& p = delivery.publication;
  switch (delivery.target) {
    case ingress::IngressTarget::channel:
      if (!valid_channel_name(delivery.name)) return done(ingress::IngressErrc::bad_target, false);
      p.channel = std::move(delivery.name);
      node_.publish(std::move(p), [done = std::move(done)](std::error_code ec,
                                                           engine::PublicationPtr) {
        done(ec, false);
      });
      return;
    case ingress::IngressTarget::user: {
      if (!valid_channel_name("user:" + delivery.name)) {
        return done(ingress::IngressErrc::bad_target, false);
      }
      Message m{std::move(p.type), std::move(p.payload), std::move(p.id), p.requires_ack};
      node_.send_to_user(std::move(delivery.name), std::move(m),
                         [done = std::move(done)](std::error_code ec, bool) { done(ec, false); });
      return;
    }
    case ingress::IngressTarget::all:
      // Node::broadcast's publication built here, because broadcast(Message) drops `raw`
      // (seed 003's frames are the queue's bytes). To be replaced by the Publication overload
      // of Node::broadcast when it lands (branch idempotency).
      p.channel = std::string(kBroadcastChannel);
      p.ephemeral = true;
      p.requires_ack = false;
      node_.publish(std::move(p), [done = std::move(done)](std::error_code ec,
                                                           engine::PublicationPtr) {
        done(ec, false);
      });
      return;
  }
}

}  // namespace switchboard::node
