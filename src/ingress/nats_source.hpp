#pragma once
// NatsIngressSource: one NATS connection (nats_url, or a rule's url; engine::nats::NatsConnection)
// and a subscription per rule subject, through the nats.c client library — its reconnect
// (forever, jittered), its resubscription after each reconnect, its read and delivery threads. consumers = "one" makes
// the subscription a queue group member (queue_group, default "switchboard.<rule>"): NATS gives
// each message to one node of the group; "every" subscribes plainly (each node delivers to its
// own clients).
//
// Messages are copied on the library's delivery thread and posted, in order, to the ingress
// thread, where the Handoff routes them. Guarantee: at most once, as core NATS itself — what is
// published while the link is down, or what the library drops for a slow consumer (its
// pending limits), is lost; the latter is counted (dropped()).
//
// Thread safety: start() and stop() on the ingress thread (the executor's); the rest on any.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "handoff.hpp"
#include "ingress_source.hpp"

namespace switchboard::engine::nats {
class NatsConnection;  // src/engine/nats/nats_connection.hpp
}

namespace switchboard::ingress {

class NatsIngressSource final : public IngressSource {
 public:
  NatsIngressSource(boost::asio::any_io_executor executor, std::string urls, Handoff& handoff);
  ~NatsIngressSource() override;

  // Before start(): rule `rule` consumes `subjects`, in queue group `queue_group` (empty: a
  // plain subscription).
  void add(std::size_t rule, const std::vector<std::string>& subjects,
           const std::string& queue_group);
  void start() override;
  void stop() override;

  const std::string& name() const noexcept override { return name_; }
  engine::BackendHealth health() const override;
  bool up() const noexcept override;
  std::uint64_t connects() const noexcept override;
  // Messages the client library dropped because the ingress thread did not keep up.
  std::uint64_t dropped() const noexcept override;

  struct Shared;  // what the library's threads touch (nats_source.cpp)
  struct Route;   // one subscription

 private:
  void poll_dropped();

  boost::asio::any_io_executor executor_;
  std::unique_ptr<engine::nats::NatsConnection> connection_;
  std::string name_;
  std::shared_ptr<Shared> shared_;
  std::vector<std::unique_ptr<Route>> routes_;
  boost::asio::steady_timer poll_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace switchboard::ingress
