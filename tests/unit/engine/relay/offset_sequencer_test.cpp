// OffsetSequencer: received publications back in offset order, gaps given up on time.
#include "offset_sequencer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace switchboard::engine::relay {
namespace {

using namespace std::chrono_literals;
using Verdict = OffsetSequencer::Verdict;
using Clock = OffsetSequencer::Clock;

PublicationPtr at(std::uint64_t offset, std::string epoch = "e1", std::string channel = "c") {
  Publication p;
  p.channel = std::move(channel);
  p.type = "t";
  p.payload = std::to_string(offset);
  p.offset = offset;
  p.epoch = std::move(epoch);
  return std::make_shared<const Publication>(std::move(p));
}

std::vector<std::uint64_t> offsets(const std::vector<PublicationPtr>& list) {
  std::vector<std::uint64_t> out;
  for (const auto& p : list) out.push_back(p->offset);
  return out;
}

class OffsetSequencerTest : public ::testing::Test {
 protected:
  Verdict accept(const PublicationPtr& p) { return sequencer.accept(p, now, delivered); }

  OffsetSequencer sequencer{100ms};
  Clock::time_point now{};
  std::vector<PublicationPtr> delivered;
};

TEST_F(OffsetSequencerTest, InOrderArrivalsPassAtOnce) {
  EXPECT_EQ(accept(at(1)), Verdict::passed);
  EXPECT_EQ(accept(at(2)), Verdict::passed);
  EXPECT_EQ(accept(at(3)), Verdict::passed);
  EXPECT_EQ(offsets(delivered), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(sequencer.next_deadline(), std::nullopt);
}

TEST_F(OffsetSequencerTest, ASwappedPairIsPutBackInOrder) {
  accept(at(1));
  EXPECT_EQ(accept(at(3)), Verdict::held);
  EXPECT_EQ(sequencer.held(), 1u);
  EXPECT_EQ(accept(at(2)), Verdict::passed);
  EXPECT_EQ(offsets(delivered), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(sequencer.held(), 0u);
}

TEST_F(OffsetSequencerTest, TheSeededPositionMakesAnEarlyFirstArrivalWait) {
  sequencer.seed("c", StreamPosition{4, "e1"});
  EXPECT_EQ(accept(at(6)), Verdict::held);
  EXPECT_TRUE(delivered.empty());
  accept(at(5));
  EXPECT_EQ(offsets(delivered), (std::vector<std::uint64_t>{5, 6}));
}

TEST_F(OffsetSequencerTest, WithoutASeedTheFirstArrivalSetsTheOrder) {
  EXPECT_EQ(accept(at(6)), Verdict::passed);
  EXPECT_EQ(accept(at(5)), Verdict::stale);
  EXPECT_EQ(offsets(delivered), (std::vector<std::uint64_t>{6}));
}

TEST_F(OffsetSequencerTest, DuplicatesAreStale) {
  accept(at(1));
  accept(at(3));
  EXPECT_EQ(accept(at(1)), Verdict::stale);
  EXPECT_EQ(accept(at(3)), Verdict::stale);  // already held
  accept(at(2));
  EXPECT_EQ(offsets(delivered), (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST_F(OffsetSequencerTest, AGapIsGivenUpAfterTheTimeoutAndLateArrivalsAreStale) {
  accept(at(1));
  accept(at(3));
  accept(at(4));
  ASSERT_TRUE(sequencer.next_deadline().has_value());
  EXPECT_EQ(*sequencer.next_deadline(), now + 100ms);
  EXPECT_TRUE(sequencer.expire(now + 99ms).empty());
  EXPECT_EQ(sequencer.expire(now + 100ms), (std::vector<std::string>{"c"}));
  EXPECT_EQ(sequencer.held(), 0u);
  EXPECT_EQ(sequencer.next_deadline(), std::nullopt);
  // The held ones were dropped (history has them): 2, 3, 4 arriving now are stale; 5 passes.
  EXPECT_EQ(accept(at(2)), Verdict::stale);
  EXPECT_EQ(accept(at(4)), Verdict::stale);
  EXPECT_EQ(accept(at(5)), Verdict::passed);
  EXPECT_EQ(offsets(delivered), (std::vector<std::uint64_t>{1, 5}));
}

TEST_F(OffsetSequencerTest, WhatStaysHeldBehindASecondGapWaitsAFullTimeoutAgain) {
  accept(at(1));
  accept(at(3));
  accept(at(5));
  now += 60ms;
  accept(at(2));  // passes 2, 3; 5 now waits behind 4, from now
  EXPECT_EQ(offsets(delivered), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_TRUE(sequencer.expire(now + 99ms).empty());
  EXPECT_EQ(sequencer.expire(now + 100ms).size(), 1u);
}

TEST_F(OffsetSequencerTest, ANewEpochPassesAndGivesUpWhatTheOldOneHeld) {
  accept(at(1));
  accept(at(3));
  EXPECT_EQ(accept(at(1, "e2")), Verdict::passed_new_gap);
  EXPECT_EQ(sequencer.held(), 0u);
  EXPECT_EQ(accept(at(2, "e2")), Verdict::passed);
  EXPECT_EQ(offsets(delivered), (std::vector<std::uint64_t>{1, 1, 2}));
  EXPECT_EQ(accept(at(1, "e3")), Verdict::passed);  // nothing held: a plain pass
}

TEST_F(OffsetSequencerTest, PublicationsWithoutOffsetsPassAndAreNotTracked) {
  accept(at(1));
  accept(at(3));
  EXPECT_EQ(accept(at(0, "")), Verdict::passed);
  EXPECT_EQ(offsets(delivered), (std::vector<std::uint64_t>{1, 0}));
  EXPECT_EQ(sequencer.held(), 1u);
}

TEST_F(OffsetSequencerTest, ChannelsAreIndependent) {
  accept(at(1, "e1", "a"));
  accept(at(1, "e1", "b"));
  accept(at(3, "e1", "a"));
  EXPECT_EQ(accept(at(2, "e1", "b")), Verdict::passed);
  now += 100ms;
  EXPECT_EQ(sequencer.expire(now), (std::vector<std::string>{"a"}));
}

TEST_F(OffsetSequencerTest, ForgetDropsTheChannelAndWhatItHeld) {
  accept(at(1));
  accept(at(3));
  sequencer.forget("c");
  EXPECT_EQ(sequencer.held(), 0u);
  EXPECT_EQ(accept(at(7)), Verdict::passed);  // a first arrival again
}

}  // namespace
}  // namespace switchboard::engine::relay
