// The Broker and HistoryStore contract suites against the Redis engine (a private
// redis-server, a key prefix per cluster or store: redis_contract_support.hpp).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "broker_contract.hpp"
#include "history_contract.hpp"
#include "redis_broker.hpp"
#include "redis_contract_support.hpp"
#include "redis_history.hpp"

namespace switchboard::engine::contract {
namespace {

// A cluster is a key prefix of its own on the shared server; each broker is one node with a
// context (I/O thread, command and subscriber connections) of its own, as separate processes
// would have.
std::function<std::unique_ptr<Broker>()> redis_cluster(NowFn now) {
  auto options = redis_support::options_for(redis_support::shared_server().port());
  return [options, now = std::move(now)]() -> std::unique_ptr<Broker> {
    auto context = redis::RedisContext::make(options, now);
    context->start();
    redis_support::wait_ready(*context);
    return std::make_unique<redis::RedisBroker>(std::move(context));
  };
}

// A history store on a context of its own (its own key prefix), on the suite's clock.
std::unique_ptr<HistoryStore> make_redis_history(NowFn now) {
  return std::make_unique<redis::RedisHistory>(redis_support::make_context(std::move(now)));
}

// How long the broker suite waits before concluding that a publication did NOT arrive. A
// delivery is one PUBLISH on loopback: Redis writes it to the subscribers' sockets before it
// answers the publisher, so a subscriber has it within a loop turn of its I/O thread. 200 ms
// is that with a wide margin for a loaded 2-core machine running the sanitizers; a slower
// delivery would also fail the suite's positive waits, which follow the negative ones on the
// same connection.
constexpr std::chrono::milliseconds kSettle{200};

INSTANTIATE_TEST_SUITE_P(Redis, BrokerContract,
                         ::testing::Values(BrokerFactory{"Redis", redis_cluster, kSettle}),
                         FactoryName{});
INSTANTIATE_TEST_SUITE_P(Redis, HistoryContract,
                         ::testing::Values(HistoryFactory{"Redis", make_redis_history}),
                         FactoryName{});

}  // namespace
}  // namespace switchboard::engine::contract
