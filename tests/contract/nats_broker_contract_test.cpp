// The Broker contract suite against `broker = "nats"`: the relay broker
// (relay/relay_broker.hpp) over the NATS transport (nats/nats_transport.hpp), history and
// idempotency keys on the Redis engine (pubsub_broker = false). One private nats-server and one
// private redis-server for the whole binary; a cluster is a subject prefix and a Redis key
// prefix of its own on them, so clusters never see each other.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "broker_contract.hpp"
#include "nats_server_process.hpp"
#include "redis_contract_support.hpp"
#include "switchboard/engine/nats/nats_transport.hpp"
#include "switchboard/engine/redis/redis_engine.hpp"
#include "switchboard/engine/relay/relay_broker.hpp"

namespace switchboard::engine::contract {
namespace {

using namespace std::chrono_literals;

test::NatsServerProcess& shared_nats_server() {
  static test::NatsServerProcess server = test::NatsServerProcess::start();
  return server;
}

// A cluster's Redis engine: its history and keys serve every node's relay broker (as one
// Redis would serve several processes). Stopped when the cluster's last broker factory goes.
struct ClusterEngine {
  Engine engine;
  ~ClusterEngine() {
    if (engine.backend) engine.backend->stop();
  }
};

// Waits (bounded) until every server of `backend` is reachable; fails the test otherwise.
void wait_healthy(const EngineBackend& backend) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    bool all = true;
    for (const auto& h : backend.health()) all = all && h.up;
    if (all) return;
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "the Redis engine did not connect";
      return;
    }
    std::this_thread::sleep_for(2ms);
  }
}

std::function<std::unique_ptr<Broker>()> nats_cluster(NowFn now) {
  static std::atomic<int> next{0};
  const std::string cluster = "sbnats" + std::to_string(::getpid()) + "-" + std::to_string(next++);
  RedisEngineConfig redis;
  redis.url = "redis://127.0.0.1:" + std::to_string(redis_support::shared_server().port());
  redis.prefix = cluster + ":";
  redis.command_timeout = 5000ms;  // a sanitizer build on a loaded 2-core machine
  redis.pubsub_broker = false;
  auto holder = std::make_shared<ClusterEngine>();
  holder->engine = make_redis_engine(redis, now);
  holder->engine.backend->start();
  wait_healthy(*holder->engine.backend);
  nats::NatsTransportConfig transport;
  transport.url = shared_nats_server().url();
  transport.prefix = cluster;
  return [holder, transport]() -> std::unique_ptr<Broker> {
    return relay::make_relay_broker(nats::make_nats_transport(transport), *holder->engine.history,
                                    holder->engine.publish_keys);
  };
}

// How long the suite waits before concluding that a publication did NOT arrive. A delivery is
// one message through nats-server on loopback, forwarded to the subscribers as it arrives;
// the relay broker hands it on at once (or within its 100 ms gap timeout when two publishers'
// offsets cross). 300 ms is that with a wide margin for a loaded 2-core machine; a slower
// delivery would also fail the suite's positive waits.
constexpr std::chrono::milliseconds kSettle{300};

INSTANTIATE_TEST_SUITE_P(Nats, BrokerContract,
                         ::testing::Values(BrokerFactory{"Nats", nats_cluster, kSettle}),
                         FactoryName{});

}  // namespace
}  // namespace switchboard::engine::contract
