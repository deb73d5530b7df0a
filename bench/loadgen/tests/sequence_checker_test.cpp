#include "sequence_checker.hpp"

#include <gtest/gtest.h>

#include "payload.hpp"

namespace switchboard::bench {
namespace {

TEST(SequenceChecker, InOrderIsClean) {
  SequenceChecker c;
  for (std::uint64_t s = 0; s < 10; ++s) c.observe(s);
  EXPECT_TRUE(c.finish(10).clean());
  EXPECT_EQ(c.finish(12).undelivered, 2u);  // the tail that never came
  EXPECT_EQ(c.finish(12).lost, 0u);
  EXPECT_TRUE(c.finish(12).clean());
}

TEST(SequenceChecker, GapThenLateArrivalIsAReorder) {
  SequenceChecker c;
  c.observe(0);
  c.observe(2);
  EXPECT_EQ(c.finish(3).lost, 1u);
  EXPECT_FALSE(c.finish(3).clean());
  c.observe(1);
  const IntegrityCounts counts = c.finish(3);
  EXPECT_EQ(counts.lost, 0u);
  EXPECT_EQ(counts.reordered, 1u);
  EXPECT_EQ(counts.duplicated, 0u);
}

TEST(SequenceChecker, RepeatIsADuplicate) {
  SequenceChecker c;
  c.observe(0);
  c.observe(1);
  c.observe(1);
  c.observe(0);
  const IntegrityCounts counts = c.finish(2);
  EXPECT_EQ(counts.duplicated, 2u);
  EXPECT_EQ(counts.lost, 0u);
  EXPECT_EQ(counts.reordered, 0u);
}

TEST(SequenceChecker, JoiningMidstreamStartsAtTheFirstNumberSeen) {
  SequenceChecker c;
  c.join_midstream();
  c.observe(41);
  c.observe(42);
  EXPECT_TRUE(c.finish(43).clean());
  EXPECT_EQ(c.finish(43).undelivered, 0u);
  c.observe(44);
  EXPECT_EQ(c.finish(45).lost, 1u);
}

TEST(Payload, RoundTripsAtTheRequestedSize) {
  std::string p;
  write_payload(p, 100, {0x1234, 0xdeadbeefcafe});
  EXPECT_EQ(p.size(), 100u);
  const auto stamp = read_payload(p);
  ASSERT_TRUE(stamp.has_value());
  EXPECT_EQ(stamp->sequence, 0x1234u);
  EXPECT_EQ(stamp->sent_ns, 0xdeadbeefcafeu);
  EXPECT_FALSE(read_payload("hello").has_value());
  p[5] = 'G';
  EXPECT_FALSE(read_payload(p).has_value());
}

}  // namespace
}  // namespace switchboard::bench
