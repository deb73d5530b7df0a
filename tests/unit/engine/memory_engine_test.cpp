// make_memory_engine(): every store present and driven by the one injected clock.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

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

TEST(MemoryEngine, EveryStoreIsPresentAndSharesTheClock) {
  ManualClock clock;
  Engine engine = make_memory_engine(clock.fn());
  ASSERT_TRUE(engine.broker && engine.history && engine.presence && engine.registry &&
              engine.rate_limiter && engine.offline);

  engine.presence->add("room", PresenceEntry{"c1", "u1", "n1"}, milliseconds(100));
  engine.registry->register_user("u1", "n1", milliseconds(100));
  Publication p;
  p.channel = "room";
  engine.history->append(p, HistoryOptions{10, milliseconds(100)}, nullptr);
  engine.offline->push("u2", std::make_shared<const Publication>(p),
                       OfflineLimits{10, milliseconds(100)}, nullptr);
  EXPECT_TRUE(engine.rate_limiter->take("u1", RateLimit{1, 1}).allowed);
  EXPECT_FALSE(engine.rate_limiter->take("u1", RateLimit{1, 1}).allowed);

  clock.advance(milliseconds(100));
  engine.presence->user_online("u1", [](bool online) { EXPECT_FALSE(online); });
  engine.registry->nodes_of("u1", [](auto nodes) { EXPECT_TRUE(nodes.empty()); });
  engine.history->read("room", std::nullopt, 10,
                       [](HistoryResult r) { EXPECT_TRUE(r.publications.empty()); });
  engine.offline->take("u2", [](auto messages) { EXPECT_TRUE(messages.empty()); });
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
  auto p = std::make_shared<Publication>();
  p->channel = "ch";
  one.broker->publish(p, nullptr);
  EXPECT_EQ(sink.publications, 1);
  EXPECT_EQ(other.publications, 0);
}

}  // namespace
}  // namespace switchboard::engine
