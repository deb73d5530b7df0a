// The Redis engine's counters on /metrics (EngineBackend::write_metrics, redis_metrics.cpp),
// against a private redis-server: families written once each and before their samples, the
// client's counters following the engine's work — read from another thread while the I/O
// thread writes them (run under ThreadSanitizer: label "threads") — and readable after stop.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "redis_engine_test_support.hpp"
#include "redis_server_process.hpp"
#include "switchboard/engine/engine.hpp"
#include "switchboard/engine/metrics_sink.hpp"
#include "switchboard/engine/redis/redis_engine.hpp"

namespace switchboard::engine::redis {
namespace {

using testing::eventually;

// Every sample by name and labels ("shard=…,connection=…"), checking the sink's rules.
class RecordingSink final : public MetricsSink {
 public:
  void family(std::string_view name, Type, std::string_view help) override {
    EXPECT_TRUE(families_.insert(std::string(name)).second) << name << " declared twice";
    EXPECT_FALSE(help.empty()) << name;
    current_ = name;
  }
  void sample(std::string_view name, std::uint64_t value, Labels labels) override {
    EXPECT_EQ(name, current_) << "a sample outside its family";
    std::string key(name);
    for (const auto& [k, v] : labels) key += "|" + std::string(k) + "=" + std::string(v);
    samples_[key] = value;
  }
  // The sample's value; ADD_FAILURE when it is missing.
  std::uint64_t at(const std::string& key) const {
    auto it = samples_.find(key);
    if (it == samples_.end()) {
      ADD_FAILURE() << key << " missing";
      return 0;
    }
    return it->second;
  }
  bool has_family(const std::string& name) const { return families_.count(name) != 0; }

 private:
  std::set<std::string> families_;
  std::string current_;
  std::map<std::string, std::uint64_t> samples_;
};

class NoHandler final : public BrokerHandler {
 public:
  void on_publication(const PublicationPtr&) override {}
  void on_node_message(const PublicationPtr&) override {}
};

RecordingSink metrics_of(const Engine& engine) {
  RecordingSink sink;
  engine.backend->write_metrics(sink);
  return sink;
}

TEST(RedisMetrics, TheClientsCountersFollowTheEnginesWorkAndAreReadableFromAnyThread) {
  auto server = test::RedisServerProcess::start();
  RedisEngineConfig config;
  config.url = "redis://127.0.0.1:" + std::to_string(server.port());
  config.prefix = "metrics-test:";
  Engine engine = make_redis_engine(config);
  const std::string shard = "shard=127.0.0.1:" + std::to_string(server.port());
  const std::string command = "|" + shard + "|connection=command";
  const std::string pubsub = "|" + shard + "|connection=pubsub";

  // Before start: every family is there, with nothing counted.
  RecordingSink idle = metrics_of(engine);
  EXPECT_EQ(idle.at("switchboard_redis_commands_total" + command), 0u);
  EXPECT_EQ(idle.at("switchboard_redis_ready|" + shard), 0u);

  engine.backend->start();
  ASSERT_TRUE(eventually([&] { return engine.backend->health().at(0).up; }));
  NoHandler handler;
  engine.broker->start("metrics-node", handler);

  // A reader on another thread while the engine's I/O thread counts.
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> reads{0};
  std::thread reader([&] {
    while (!done.load()) {
      RecordingSink sink;
      engine.backend->write_metrics(sink);
      reads.fetch_add(1);
    }
  });
  constexpr int kPublishes = 50;
  for (int i = 0; i < kPublishes; ++i) {
    std::promise<std::error_code> answered;
    engine.broker->publish(testing::make_publication("room", "{}"), HistoryOptions{10, std::chrono::minutes(1)},
                           [&](std::error_code ec, PublicationPtr) { answered.set_value(ec); });
    ASSERT_FALSE(answered.get_future().get());
  }
  ASSERT_TRUE(eventually([&] { return reads.load() >= 10; }));
  done = true;
  reader.join();

  RecordingSink after = metrics_of(engine);
  EXPECT_EQ(after.at("switchboard_redis_ready|" + shard), 1u);
  EXPECT_GE(after.at("switchboard_redis_commands_total" + command),
            static_cast<std::uint64_t>(kPublishes));
  EXPECT_GE(after.at("switchboard_redis_writes_total" + command), 1u);
  EXPECT_EQ(after.at("switchboard_redis_connects_total" + command), 1u);
  EXPECT_EQ(after.at("switchboard_redis_connects_total" + pubsub), 1u);
  EXPECT_GE(after.at("switchboard_redis_commands_total" + pubsub), 1u) << "the node channel";
  EXPECT_EQ(after.at("switchboard_redis_in_flight|" + shard), 0u);
  EXPECT_EQ(after.at("switchboard_redis_timeouts_total" + command), 0u);
  // A healthy start meets no error reply (it met NOSCRIPT once: the node id claim ran before
  // its script was loaded).
  EXPECT_EQ(after.at("switchboard_redis_error_replies_total" + command), 0u);
  EXPECT_EQ(after.at("switchboard_redis_dropped_total|reason=undecodable|source=pubsub"), 0u);
  for (const char* family :
       {"switchboard_redis_rejected_total", "switchboard_redis_error_replies_total",
        "switchboard_redis_failed_pending_total", "switchboard_redis_pubsub_messages_total",
        "switchboard_redis_resubscribed_total", "switchboard_redis_subscriptions_restored_total",
        "switchboard_redis_node_id_conflicts_total", "switchboard_redis_ratelimit_syncs_total",
        "switchboard_redis_ratelimit_local_only_total",
        "switchboard_redis_ratelimit_over_admitted_total"}) {
    EXPECT_TRUE(after.has_family(family)) << family;
  }

  // After stop the connections are gone; their counters are still there.
  engine.backend->stop();
  RecordingSink stopped = metrics_of(engine);
  EXPECT_EQ(stopped.at("switchboard_redis_ready|" + shard), 0u);
  EXPECT_GE(stopped.at("switchboard_redis_commands_total" + command),
            static_cast<std::uint64_t>(kPublishes));
}

TEST(RedisMetrics, AFrozenServerCountsATimeoutAndTheReconnect) {
  auto server = test::RedisServerProcess::start();
  RedisEngineConfig config;
  config.url = "redis://127.0.0.1:" + std::to_string(server.port());
  config.prefix = "metrics-test:";
  config.command_timeout = std::chrono::milliseconds(300);
  Engine engine = make_redis_engine(config);
  const std::string command =
      "|shard=127.0.0.1:" + std::to_string(server.port()) + "|connection=command";
  engine.backend->start();
  ASSERT_TRUE(eventually([&] { return engine.backend->health().at(0).up; }));
  server.pause();
  std::promise<std::error_code> answered;
  engine.snapshots->get("room", [&](std::error_code ec, std::optional<std::string>) {
    answered.set_value(ec);
  });
  // Normally the read itself times out; `unavailable` if an idle PING sent just before the
  // pause timed out first (the reset then refused the read). Either way one reset is counted.
  const std::error_code ec = answered.get_future().get();
  EXPECT_TRUE(ec == EngineErrc::timeout || ec == EngineErrc::unavailable) << ec.message();
  RecordingSink frozen = metrics_of(engine);
  EXPECT_GE(frozen.at("switchboard_redis_timeouts_total" + command), 1u);
  EXPECT_GE(frozen.at("switchboard_redis_failed_pending_total" + command), 1u);
  server.resume();
  ASSERT_TRUE(eventually([&] {
    RecordingSink sink;
    engine.backend->write_metrics(sink);
    return sink.at("switchboard_redis_connects_total" + command) >= 2;
  }));
  engine.backend->stop();
}

}  // namespace
}  // namespace switchboard::engine::redis
