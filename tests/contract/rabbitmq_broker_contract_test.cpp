// The Broker contract suite against the relay broker over the RabbitMQ transport
// (relay/relay_broker.hpp over rabbitmq/rabbitmq_transport.hpp), with history and idempotency
// keys on the Redis engine (`broker = "rabbitmq"`): a private rabbitmq-server and
// redis-server for the binary, and per cluster an exchange / queue prefix and a Redis key
// prefix of its own, so that clusters never see each other's messages or keys.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <unistd.h>

#include "broker_contract.hpp"
#include "rabbitmq_server_process.hpp"
#include "redis_contract_support.hpp"
#include "switchboard/engine/rabbitmq/rabbitmq_transport.hpp"
#include "switchboard/engine/redis/redis_engine.hpp"
#include "switchboard/engine/relay/relay_broker.hpp"

namespace switchboard::engine::contract {
namespace {

// One cluster's Redis engine without its Pub/Sub broker: the history and keys every node of
// the cluster shares (as nodes pointed at one Redis do), started and ready.
struct ClusterStores {
  explicit ClusterStores(NowFn now, int n) {
    RedisEngineConfig config;
    config.url = "redis://127.0.0.1:" + std::to_string(redis_support::shared_server().port());
    config.prefix = "sbrmq" + std::to_string(::getpid()) + "-" + std::to_string(n) + ":";
    config.command_timeout = std::chrono::milliseconds(5000);
    config.pubsub_broker = false;
    engine = make_redis_engine(config, std::move(now));
    engine.backend->start();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!all_up() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_TRUE(all_up()) << "the Redis engine did not come up";
  }
  ~ClusterStores() { engine.backend->stop(); }
  bool all_up() const {
    for (const auto& h : engine.backend->health()) {
      if (!h.up) return false;
    }
    return true;
  }
  Engine engine;
};

// A cluster: its stores, and a transport prefix of its own on the shared RabbitMQ node. Each
// broker is one node with a transport — an AMQP connection — of its own.
std::function<std::unique_ptr<Broker>()> rabbitmq_cluster(NowFn now) {
  static std::atomic<int> next{0};
  const int n = next++;
  auto stores = std::make_shared<ClusterStores>(now, n);
  rabbitmq::RabbitMqTransportConfig config;
  config.url = test::RabbitMqServerProcess::shared().url();
  config.prefix = "sbc-" + std::to_string(::getpid()) + "-" + std::to_string(n);
  config.heartbeat = std::chrono::seconds(2);
  return [stores, config]() -> std::unique_ptr<Broker> {
    return relay::make_relay_broker(rabbitmq::make_rabbitmq_transport(config),
                                    *stores->engine.history, stores->engine.publish_keys);
  };
}

// How long the suite waits before concluding that a publication did NOT arrive. RabbitMQ
// confirms a publish once it is routed to the queues; the queue process then pushes it to the
// consumer's socket, on loopback within a millisecond or two. 200 ms is that with a wide
// margin for a loaded 2-core machine running the sanitizers (as for Redis); a slower delivery
// would also fail the suite's positive waits, which follow the negative ones.
constexpr std::chrono::milliseconds kSettle{200};

INSTANTIATE_TEST_SUITE_P(RabbitMq, BrokerContract,
                         ::testing::Values(BrokerFactory{"RabbitMq", rabbitmq_cluster, kSettle}),
                         FactoryName{});

}  // namespace
}  // namespace switchboard::engine::contract
