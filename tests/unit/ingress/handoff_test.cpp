// The hand-over to the node: outcomes counted by kind, the in-flight bound, and completions
// that run after the Handoff is gone.
#include "handoff.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "switchboard/engine/error.hpp"

namespace switchboard::ingress {
namespace {

// Keeps every delivery and its completion, to finish them when the test says.
class RecordingSink final : public IngressSink {
 public:
  void deliver(IngressDelivery d, Done done) override {
    deliveries.push_back(std::move(d));
    pending.push_back(std::move(done));
  }
  std::vector<IngressDelivery> deliveries;
  std::vector<Done> pending;
};

std::vector<CompiledRule> one_rule(std::chrono::milliseconds batch_interval = {}) {
  config::IngressRuleConfig c;
  c.batch_interval = batch_interval;
  c.name = "news";
  c.channels = {"news"};
  c.target = config::IngressTargetKind::channel;
  c.channel = "news";
  std::vector<CompiledRule> rules;
  rules.emplace_back(c, 1024);
  return rules;
}

TEST(Handoff, CountsEachOutcome) {
  boost::asio::io_context io;
  const auto rules = one_rule();
  RecordingSink sink;
  Handoff handoff(io.get_executor(), rules, sink, 100);
  for (int i = 0; i < 5; ++i) handoff.take(0, {"news", "", R"({"n":1})"});
  handoff.take(0, {"news", "", "not json"});
  ASSERT_EQ(sink.pending.size(), 5u);
  EXPECT_EQ(sink.deliveries[0].name, "news");
  EXPECT_EQ(handoff.counters().in_flight(), 5u);
  sink.pending[0]({}, false);
  sink.pending[1]({}, true);
  sink.pending[2](engine::EngineErrc::unavailable, false);
  sink.pending[3](IngressErrc::bad_target, false);
  const auto s = handoff.counters().rule(0);
  EXPECT_EQ(s.received, 6u);
  EXPECT_EQ(s.delivered, 1u);
  EXPECT_EQ(s.deduplicated, 1u);
  EXPECT_EQ(s.dropped[static_cast<std::size_t>(DropReason::publish_failed)], 1u);
  EXPECT_EQ(s.rejected[static_cast<std::size_t>(RejectReason::bad_target)], 1u);
  EXPECT_EQ(s.rejected[static_cast<std::size_t>(RejectReason::not_json)], 1u);
  EXPECT_EQ(handoff.counters().in_flight(), 1u);
  sink.pending[4]({}, false);
}

TEST(Handoff, MoreThanTheBoundInFlightIsDroppedAsOverloaded) {
  boost::asio::io_context io;
  const auto rules = one_rule();
  RecordingSink sink;
  Handoff handoff(io.get_executor(), rules, sink, 2);
  for (int i = 0; i < 3; ++i) handoff.take(0, {"news", "", "{}"});
  EXPECT_EQ(sink.pending.size(), 2u);
  EXPECT_EQ(handoff.counters().rule(0).dropped[static_cast<std::size_t>(DropReason::overloaded)],
            1u);
  sink.pending[0]({}, false);  // room again
  handoff.take(0, {"news", "", "{}"});
  EXPECT_EQ(sink.pending.size(), 3u);
  sink.pending[1]({}, false);
  sink.pending[2]({}, false);
}

TEST(Handoff, CompletionsMayOutliveIt) {
  boost::asio::io_context io;
  const auto rules = one_rule();
  RecordingSink sink;
  {
    Handoff handoff(io.get_executor(), rules, sink, 10);
    handoff.take(0, {"news", "", "{}"});
  }
  sink.pending[0](engine::EngineErrc::timeout, false);  // no use after free (ASan)
}

TEST(Handoff, ASourceThatAcknowledgesIsToldEachOutcomeOnce) {
  boost::asio::io_context io;
  const auto rules = one_rule();
  RecordingSink sink;
  Handoff handoff(io.get_executor(), rules, sink, 2);
  std::vector<Outcome> outcomes;
  auto settle = [&](Outcome o) { outcomes.push_back(o); };
  handoff.take(0, {"news", "", "not json"}, settle);   // rejected at once
  handoff.take(0, {"news", "", "{}"}, settle);
  handoff.take(0, {"news", "", "{}"}, settle);
  handoff.take(0, {"news", "", "{}"}, settle);          // over the bound: failed, not dropped
  ASSERT_EQ(outcomes, (std::vector<Outcome>{Outcome::rejected, Outcome::failed}));
  sink.pending[0]({}, false);
  sink.pending[1](engine::EngineErrc::unavailable, false);
  EXPECT_EQ(outcomes, (std::vector<Outcome>{Outcome::rejected, Outcome::failed,
                                            Outcome::delivered, Outcome::failed}));
  // The source hands failures over again: nothing was lost, so nothing counts as dropped.
  const auto s = handoff.counters().rule(0);
  EXPECT_EQ(s.dropped[static_cast<std::size_t>(DropReason::overloaded)], 0u);
  EXPECT_EQ(s.dropped[static_cast<std::size_t>(DropReason::publish_failed)], 0u);
}

TEST(Handoff, ABatchedRuleHandsItsMessagesOverTogetherInOrder) {
  boost::asio::io_context io;
  const auto rules = one_rule(std::chrono::milliseconds(20));
  RecordingSink sink;
  Handoff handoff(io.get_executor(), rules, sink, 3);
  for (int i = 0; i < 4; ++i) handoff.take(0, {"news", "", "{\"n\":" + std::to_string(i) + "}"});
  // Held, not handed over; the fourth is over the in-flight bound (held ones count).
  EXPECT_TRUE(sink.pending.empty());
  EXPECT_EQ(handoff.counters().in_flight(), 3u);
  EXPECT_EQ(handoff.counters().rule(0).dropped[static_cast<std::size_t>(DropReason::overloaded)],
            1u);
  io.run_one();  // the batch timer
  ASSERT_EQ(sink.deliveries.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(sink.deliveries[i].publication.payload, "{\"n\":" + std::to_string(i) + "}");
  }
  EXPECT_EQ(handoff.counters().rule(0).batches, 1u);
  for (auto& done : sink.pending) done({}, false);
  EXPECT_EQ(handoff.counters().rule(0).delivered, 3u);
  // The next message starts a new batch; flush() hands it over at once.
  handoff.take(0, {"news", "", "{}"});
  EXPECT_EQ(sink.deliveries.size(), 3u);
  handoff.flush();
  EXPECT_EQ(sink.deliveries.size(), 4u);
  EXPECT_EQ(handoff.counters().rule(0).batches, 2u);
  sink.pending.back()({}, false);
  io.run();  // the cancelled timer's handler: nothing more
  EXPECT_EQ(sink.deliveries.size(), 4u);
}

}  // namespace
}  // namespace switchboard::ingress
