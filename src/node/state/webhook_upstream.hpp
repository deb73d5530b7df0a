#pragma once
// WebhookUpstream: the upstream transport that POSTs each batch, as a JSON array, to
// upstream_webhook_url (2xx: accepted), over the node's call-out pool on the housekeeping loop.
#include <boost/asio/io_context.hpp>

#include "switchboard/ingress/upstream_transport.hpp"
#include "webhook_client.hpp"

namespace switchboard::node {

class WebhookUpstream final : public ingress::UpstreamTransport {
 public:
  WebhookUpstream(boost::asio::io_context& io, Callout callout)
      : io_(io), callout_(std::move(callout)) {}

  std::string_view name() const noexcept override { return "webhook"; }
  void send(const std::vector<UpstreamEvent>& batch, std::chrono::milliseconds timeout,
            Done done) override {
    Callout call = callout_;
    call.timeout = timeout;
    post_webhook(io_, call, ingress::to_json(batch),
                 [done = std::move(done)](bool ok, std::string detail) {
                   done(ok, std::move(detail), {});  // a failed POST: nothing known kept
                 });
  }
  // The pool's idle connections, so that the housekeeping loop can end.
  void stop() override { close_idle_callouts(io_); }

 private:
  boost::asio::io_context& io_;
  Callout callout_;
};

}  // namespace switchboard::node
