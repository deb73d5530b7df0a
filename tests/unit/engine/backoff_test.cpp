// Reconnect delays: doubling within bounds, jittered, reset after a success.
#include "switchboard/engine/backoff.hpp"

#include <gtest/gtest.h>

#include <set>

namespace switchboard::engine {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DoublesUpToTheMaximumWithinHalfToFullOfTheCeiling) {
  Backoff backoff(milliseconds(100), milliseconds(1000), 42);
  const long ceilings[] = {100, 200, 400, 800, 1000, 1000, 1000};
  for (long ceiling : ceilings) {
    const auto d = backoff.next().count();
    EXPECT_GE(d, ceiling / 2);
    EXPECT_LE(d, ceiling);
  }
}

TEST(Backoff, ResetStartsFromTheInitialDelay) {
  Backoff backoff(milliseconds(100), milliseconds(1000), 7);
  for (int i = 0; i < 5; ++i) backoff.next();
  backoff.reset();
  EXPECT_LE(backoff.next().count(), 100);
}

TEST(Backoff, IsJittered) {
  // Twenty nodes that lost Redis at once must not retry in lockstep.
  std::set<long> first_delays;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    first_delays.insert(Backoff(milliseconds(1000), milliseconds(5000), seed).next().count());
  }
  EXPECT_GT(first_delays.size(), 10u);
}

TEST(Backoff, ClampsNonsenseBounds) {
  Backoff backoff(milliseconds(0), milliseconds(0), 1);
  EXPECT_EQ(backoff.next().count(), 1);  // never a zero delay: no busy reconnect loop
}

}  // namespace
}  // namespace switchboard::engine
