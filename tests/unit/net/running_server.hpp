#pragma once
// A Server on a free loopback port with the operational routes and the transport's own
// endpoints (/echo, /broadcast), started on construction and stopped on destruction.
#include <functional>
#include <memory>
#include <string>

#include "switchboard/http/prometheus.hpp"
#include "switchboard/net/broadcast_endpoint.hpp"
#include "switchboard/net/echo_endpoint.hpp"
#include "switchboard/net/ops_routes.hpp"
#include "switchboard/net/server.hpp"
#include "test_client.hpp"

namespace switchboard::net::testing {

// The configuration most transport tests run: two workers, so that work crosses threads.
inline config::Config two_workers() {
  config::Config c;
  c.workers = 2;
  return c;
}

class RunningServer {
 public:
  // `configure` adds to the server (routes) before it starts.
  // `hooks` feed the operational routes (users, dependencies).
  explicit RunningServer(config::Config config,
                         const std::function<void(Server&)>& configure = {},
                         OpsHooks hooks = {}) {
    config.bind_address = "127.0.0.1";
    config.port = free_port();
    server_ = std::make_unique<Server>(std::move(config));
    add_ops_routes(*server_, std::move(hooks));
    server_->add_endpoint("/echo", make_echo_endpoint());
    server_->add_endpoint("/broadcast", make_broadcast_endpoint(*server_));
    if (configure) configure(*server_);
    server_->start();
  }
  ~RunningServer() {
    server_->stop();
    server_->wait();
  }
  Server& operator*() { return *server_; }
  Server* operator->() { return server_.get(); }
  std::uint16_t port() const { return server_->config().port; }

  std::string metrics() {
    http::PrometheusWriter out;
    server_->write_metrics(out);
    return out.text();
  }

 private:
  std::unique_ptr<Server> server_;
};

}  // namespace switchboard::net::testing
