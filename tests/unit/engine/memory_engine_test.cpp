// make_memory_engine(): every store present and driven by the one injected clock.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "switchboard/engine/engine.hpp"

namespace switchboard::engine {
namespace {

using std::chrono::milliseconds;

class Sink : public BrokerHandler {
 public:
  int publications = 0;
  void on_publication(const PublicationPtr&) override { ++publications; }
  void on_node_message(const PublicationPtr&) override {}
};

// What each store holds for its test key: read through its asynchronous interface, with the
// number of answers counted so that a callback that never runs fails the test instead of
// skipping its assertions.
struct Contents {
  bool user_online = false;
  std::size_t user_nodes = 0;
  std::size_t history = 0;
  std::size_t presence = 0;
  int answers = 0;
};

Contents read_contents(Engine& engine) {
  Contents c;
  engine.presence->user_online("u1", [&](std::error_code, bool online) {
    c.user_online = online;
    ++c.answers;
  });
  engine.presence->members("room", [&](std::error_code, auto members) {
    c.presence = members.size();
    ++c.answers;
  });
  engine.registry->nodes_of("u1", [&](std::error_code, auto nodes) {
    c.user_nodes = nodes.size();
    ++c.answers;
  });
  engine.history->read("room", std::nullopt, 10, [&](std::error_code, HistoryResult r) {
    c.history = r.publications.size();
    ++c.answers;
  });
  return c;
}

std::size_t take_offline(Engine& engine, const std::string& user, int& answers) {
  std::size_t kept = 0;
  engine.offline->take(user, [&](std::error_code, auto messages) {
    kept = messages.size();
    ++answers;
  });
  return kept;
}

TEST(MemoryEngine, EveryStoreIsPresentAndSharesTheClock) {
  ManualClock clock;
  Engine engine = make_memory_engine(clock.fn());
  ASSERT_TRUE(engine.broker && engine.history && engine.presence && engine.registry &&
              engine.rate_limiter && engine.offline);

  engine.presence->add("room", PresenceEntry{"c1", "u1", "n1"}, milliseconds(100), nullptr);
  engine.presence->touch_user("u1", milliseconds(100), nullptr);
  engine.registry->add_connection("u1", {"n1", "c1"}, milliseconds(100), kNoConnectionLimit,
                                  nullptr);
  Publication p;
  p.channel = "room";
  engine.history->append(p, HistoryOptions{10, milliseconds(100)}, nullptr);
  for (const char* user : {"u2", "u3"}) {
    engine.offline->push(user, std::make_shared<const Publication>(p),
                         OfflineLimits{10, milliseconds(100)}, nullptr);
  }
  EXPECT_TRUE(engine.rate_limiter->take("u1", RateLimit{1, 1}).allowed);
  EXPECT_FALSE(engine.rate_limiter->take("u1", RateLimit{1, 1}).allowed);

  // Just before the TTL everything is there (the memory engine answers inline)...
  clock.advance(milliseconds(99));
  Contents before = read_contents(engine);
  int offline_answers = 0;
  EXPECT_EQ(take_offline(engine, "u2", offline_answers), 1u);
  EXPECT_EQ(before.answers, 4);
  EXPECT_TRUE(before.user_online);
  EXPECT_EQ(before.presence, 1u);
  EXPECT_EQ(before.user_nodes, 1u);
  EXPECT_EQ(before.history, 1u);

  // ...and at the TTL, by the same clock, all of it is gone.
  clock.advance(milliseconds(1));
  Contents after = read_contents(engine);
  EXPECT_EQ(take_offline(engine, "u3", offline_answers), 0u);
  EXPECT_EQ(offline_answers, 2);
  EXPECT_EQ(after.answers, 4);
  EXPECT_FALSE(after.user_online);
  EXPECT_EQ(after.presence, 0u);
  EXPECT_EQ(after.user_nodes, 0u);
  EXPECT_EQ(after.history, 0u);
  EXPECT_FALSE(engine.rate_limiter->take("u1", RateLimit{1, 1}).allowed) << "1 token/s: not yet";
  clock.advance(milliseconds(900));
  EXPECT_TRUE(engine.rate_limiter->take("u1", RateLimit{1, 1}).allowed);
}

TEST(MemoryEngine, BrokerIsASingleNodeOnAPrivateHub) {
  Sink sink;
  Engine one = make_memory_engine();
  Engine two = make_memory_engine();
  one.broker->start("node", sink);
  Sink other;
  EXPECT_NO_THROW(two.broker->start("node", other));  // separate hubs: no clash
  one.broker->subscribe("ch", nullptr);
  two.broker->subscribe("ch", nullptr);
  Publication p;
  p.channel = "ch";
  one.broker->publish(p, HistoryOptions{0, milliseconds(100)}, nullptr);
  EXPECT_EQ(sink.publications, 1);
  EXPECT_EQ(other.publications, 0);
}

}  // namespace
}  // namespace switchboard::engine
