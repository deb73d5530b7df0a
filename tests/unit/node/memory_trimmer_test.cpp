// When the node gives free heap memory back: after a burst of connections (opened or
// closed), once it is quiet, once per burst.
#include "memory_trimmer.hpp"

#include <gtest/gtest.h>

namespace switchboard::node {
namespace {

using namespace std::chrono_literals;
using Clock = MemoryTrimmer::Clock;

class MemoryTrimmerTest : public ::testing::Test {
 protected:
  MemoryTrimmer trimmer{MemoryTrimmer::Options{100, 1000ms}};
  Clock::time_point t0 = Clock::now();
  bool due(std::uint64_t accepted, std::uint64_t open, std::chrono::milliseconds at) {
    return trimmer.due(accepted, open, t0 + at);
  }
};

TEST_F(MemoryTrimmerTest, ABurstOfConnectionsIsTrimmedOnceItIsQuiet) {
  EXPECT_FALSE(due(0, 0, 0ms));
  EXPECT_FALSE(due(150, 150, 1000ms));  // still coming
  EXPECT_FALSE(due(150, 150, 1500ms));  // quiet for 0.5 s only
  EXPECT_TRUE(due(150, 150, 2000ms));
  EXPECT_FALSE(due(150, 150, 3000ms)) << "once per burst";
  EXPECT_FALSE(due(150, 150, 60000ms));
}

TEST_F(MemoryTrimmerTest, FewConnectionsAreNoBurst) {
  EXPECT_FALSE(due(0, 0, 0ms));
  EXPECT_FALSE(due(99, 99, 1000ms));
  EXPECT_FALSE(due(99, 99, 5000ms));
  // Connections add up across ticks until the next trim.
  EXPECT_FALSE(due(100, 100, 6000ms));
  EXPECT_TRUE(due(100, 100, 7000ms));
}

TEST_F(MemoryTrimmerTest, ManyConnectionsClosingAreABurstToo) {
  EXPECT_FALSE(due(0, 0, 0ms));
  EXPECT_FALSE(due(500, 500, 1000ms));
  EXPECT_TRUE(due(500, 500, 2000ms));
  // All of them leave: what they held is free.
  EXPECT_FALSE(due(500, 450, 3000ms));
  EXPECT_TRUE(due(500, 0, 4000ms));
}

TEST_F(MemoryTrimmerTest, ConnectionsBeforeTheFirstCallCount) {
  EXPECT_FALSE(due(5000, 5000, 0ms));  // they came before the first tick
  EXPECT_TRUE(due(5000, 5000, 1000ms));
}

TEST_F(MemoryTrimmerTest, ZeroNeverTrims) {
  MemoryTrimmer off{MemoryTrimmer::Options{0, 1000ms}};
  EXPECT_FALSE(off.due(0, 0, t0));
  EXPECT_FALSE(off.due(100000, 100000, t0 + 1s));
  EXPECT_FALSE(off.due(100000, 0, t0 + 10s));
}

TEST(TrimMemory, ReportsTheResidentSetBeforeAndAfter) {
  const TrimResult r = trim_memory();
  EXPECT_GT(r.rss_before, 0u);
  EXPECT_GT(r.rss_after, 0u);
}

}  // namespace
}  // namespace switchboard::node
