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

TEST(SharedFrame, ThreadLocalViewHoldsOneReferenceForAllItsCopies) {
  SharedFrame frame = SharedFrame::allocate(5);
  std::memcpy(frame.mutable_data(), "hello", 5);
  {
    SharedFrame view = frame.thread_local_view();
    EXPECT_EQ(frame.use_count(), 2u);  // the frame's own owner and the view
    EXPECT_EQ(view.data(), frame.data());  // the same bytes, not a copy
    EXPECT_EQ(view.size(), 5u);
    std::vector<SharedFrame> copies(100, view);
    EXPECT_EQ(view.use_count(), 101u);
    EXPECT_EQ(frame.use_count(), 2u);  // copies of the view do not touch the frame's count
    EXPECT_EQ(copies.back().view(), "hello");
    EXPECT_EQ(view.thread_local_view().data(), view.data());  // a view of a view is itself
  }
  EXPECT_EQ(frame.use_count(), 1u);  // the last copy of the view released its reference
}

TEST(SharedFrame, ViewOutlivesTheFrameItViews) {
  SharedFrame view;
  {
    SharedFrame frame = SharedFrame::allocate(3);
    std::memcpy(frame.mutable_data(), "abc", 3);
    view = frame.thread_local_view();
  }
  // The view's reference keeps the bytes alive (ASan checks the read).
  EXPECT_EQ(view.view(), "abc");
  SharedFrame last = view;
  view = SharedFrame();
  EXPECT_EQ(last.view(), "abc");
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
