#include "histogram.hpp"

#include <gtest/gtest.h>

namespace switchboard::bench {
namespace {

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.quantile(0.5), 50u);
  EXPECT_EQ(h.quantile(0.99), 99u);
  EXPECT_EQ(h.quantile(1.0), 100u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(Histogram, LargeValuesWithinOnePercent) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100000; ++v) h.record(v * 1000);  // 1 us .. 100 ms
  for (const double q : {0.5, 0.9, 0.99, 0.999}) {
    const double exact = q * 100000 * 1000;
    const double got = static_cast<double>(h.quantile(q));
    EXPECT_NEAR(got, exact, exact * 0.01) << "q=" << q;
  }
  EXPECT_EQ(h.max(), 100000000u);
}

TEST(Histogram, BucketsAreContiguousAndMonotonic) {
  std::size_t previous = 0;
  for (std::uint64_t v = 0; v < 1 << 20; v += 7) {
    const std::size_t b = Histogram::bucket_of(v);
    EXPECT_GE(b, previous);
    EXPECT_GE(Histogram::bucket_upper_bound(b), v);
    previous = b;
  }
  EXPECT_GE(Histogram::bucket_upper_bound(Histogram::bucket_of(UINT64_MAX)), UINT64_MAX - 1);
}

TEST(Histogram, MergeAddsCounts) {
  Histogram a;
  Histogram b;
  a.record(10);
  b.record(1000);
  a.merge(b);
  EXPECT_EQ(a.count(), 2u);
  EXPECT_EQ(a.max(), 1000u);
  EXPECT_EQ(a.min(), 10u);
}

}  // namespace
}  // namespace switchboard::bench
