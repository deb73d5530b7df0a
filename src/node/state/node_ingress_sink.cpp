#include "node_ingress_sink.hpp"

#include "channel_name.hpp"

namespace switchboard::node {

void NodeIngressSink::deliver(ingress::IngressDelivery delivery, Done done) {
  engine::Publication& p = delivery.publication;
  // The engine delivers the first publish with this key within the window, on whichever node
  // made it, and completes the others as duplicates.
  p.idempotency_key = std::move(delivery.idempotency_key);
  p.dedupe_window = delivery.dedupe_window;
  // send_to_user's and broadcast's completion, as the sink reports it.
  auto by_outcome = [](Done d) {
    return [d = std::move(d)](std::error_code ec, SendOutcome what) {
      d(ec, !ec && what == SendOutcome::duplicate);
    };
  };
  switch (delivery.target) {
    case ingress::IngressTarget::channel:
      if (!valid_channel_name(delivery.name)) return done(ingress::IngressErrc::bad_target, false);
      p.channel = std::move(delivery.name);
      node_.publish(std::move(p), [done = std::move(done)](std::error_code ec,
                                                           engine::PublicationPtr stored) {
        done(ec, !ec && stored && stored->duplicate);
      });
      return;
    case ingress::IngressTarget::user:
      if (!valid_channel_name("user:" + delivery.name)) {
        return done(ingress::IngressErrc::bad_target, false);
      }
      node_.send_to_user(std::move(delivery.name), std::move(p), by_outcome(std::move(done)));
      return;
    case ingress::IngressTarget::all:
      node_.broadcast(std::move(p), by_outcome(std::move(done)));
      return;
  }
}

}  // namespace switchboard::node
