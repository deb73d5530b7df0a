#include "switchboard/ws/shared_frame.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <vector>

namespace switchboard::ws {
namespace {

TEST(SharedFrame, DefaultIsEmpty) {
  SharedFrame f;
  EXPECT_FALSE(f);
  EXPECT_EQ(f.size(), 0u);
  EXPECT_EQ(f.data(), nullptr);
  EXPECT_EQ(f.use_count(), 0u);
}

TEST(SharedFrame, CopiesShareOneBlockAndCount) {
  SharedFrame a = SharedFrame::allocate(5);
  std::memcpy(a.mutable_data(), "hello", 5);
  EXPECT_EQ(a.use_count(), 1u);
  {
    SharedFrame b = a;
    SharedFrame c;
    c = b;
    EXPECT_EQ(a.use_count(), 3u);
    EXPECT_EQ(b.data(), a.data());
    EXPECT_EQ(c.view(), "hello");
  }
  EXPECT_EQ(a.use_count(), 1u);
  SharedFrame moved = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_EQ(moved.use_count(), 1u);
  EXPECT_EQ(moved.view(), "hello");
}

TEST(SharedFrame, ZeroSizedFrameIsValid) {
  SharedFrame f = SharedFrame::allocate(0);
  EXPECT_TRUE(f);
  EXPECT_EQ(f.size(), 0u);
}

// Copies dropped on several threads: the count ends exact (ASan/TSan builds check the free).
TEST(SharedFrame, CountIsAtomicAcrossThreads) {
  SharedFrame f = SharedFrame::allocate(64);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([f] {
      for (int i = 0; i < 10000; ++i) {
        SharedFrame copy = f;
        ASSERT_EQ(copy.size(), 64u);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(f.use_count(), 1u);
}

}  // namespace
}  // namespace switchboard::ws
