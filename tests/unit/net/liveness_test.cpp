#include "switchboard/net/liveness.hpp"

#include <gtest/gtest.h>

namespace switchboard::net {
namespace {

constexpr LivenessConfig kConfig{30000, 60000};

TEST(Liveness, QuietWithinThePingIntervalDoesNothing) {
  EXPECT_EQ(check_liveness({29999, 0, 0, 0}, kConfig, true), LivenessAction::none);
}

TEST(Liveness, SilenceForThePingIntervalSendsOnePing) {
  EXPECT_EQ(check_liveness({30000, 0, 0, 0}, kConfig, true), LivenessAction::send_ping);
  // A ping sent at 30 s is outstanding: no second ping until another interval passes.
  EXPECT_EQ(check_liveness({45000, 0, 30000, 0}, kConfig, true), LivenessAction::none);
  EXPECT_EQ(check_liveness({59999, 0, 30000, 0}, kConfig, true), LivenessAction::none);
}

TEST(Liveness, SilenceForTheIdleTimeoutCloses) {
  EXPECT_EQ(check_liveness({60000, 0, 30000, 0}, kConfig, true), LivenessAction::idle_timeout);
}

TEST(Liveness, AReadResetsBothClocks) {
  // Pong (any read) at 31 s: the connection is fresh again.
  EXPECT_EQ(check_liveness({60000, 31000, 30000, 0}, kConfig, true), LivenessAction::none);
  EXPECT_EQ(check_liveness({61000, 31000, 30000, 0}, kConfig, true), LivenessAction::send_ping);
}

TEST(Liveness, DeadlineWinsInEveryPhase) {
  EXPECT_EQ(check_liveness({5000, 0, 0, 5000}, kConfig, false), LivenessAction::deadline_passed);
  EXPECT_EQ(check_liveness({4999, 0, 0, 5000}, kConfig, false), LivenessAction::none);
  EXPECT_EQ(check_liveness({5000, 4000, 0, 5000}, kConfig, true), LivenessAction::deadline_passed);
}

TEST(Liveness, NotOpenMeansNoPingsOrIdleCloses) {
  EXPECT_EQ(check_liveness({100000, 0, 0, 0}, kConfig, false), LivenessAction::none);
}

TEST(Liveness, ZeroDisablesPingsAndIdleTimeout) {
  EXPECT_EQ(check_liveness({1000000, 0, 0, 0}, LivenessConfig{0, 0}, true), LivenessAction::none);
}

TEST(Liveness, TimesWrapAround) {
  // The millisecond clock wraps after 49 days: comparisons are by difference.
  const std::uint32_t start = 0xFFFFF000u;
  EXPECT_EQ(check_liveness({start + 29999, start, start, 0}, kConfig, true), LivenessAction::none);
  EXPECT_EQ(check_liveness({start + 30000, start, start, 0}, kConfig, true),
            LivenessAction::send_ping);
  EXPECT_TRUE(deadline_passed(5, 0xFFFFFFF0u));
  EXPECT_FALSE(deadline_passed(0xFFFFFFF0u, 5));
}

}  // namespace
}  // namespace switchboard::net
