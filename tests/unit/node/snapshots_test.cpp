// Snapshots: zstd round trip, which publications count, at most one compression per interval
// per channel while get() always returns the newest state, and removal.
#include "snapshots.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/publication.hpp"

namespace switchboard::node {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kInterval{1000};
constexpr milliseconds kShortTtl{5000};
constexpr milliseconds kTtl{60000};

engine::Publication publication(std::string channel, std::string type, std::string payload) {
  engine::Publication p;
  p.channel = std::move(channel);
  p.type = std::move(type);
  p.payload = std::move(payload);
  return p;
}

std::string board(int version) {
  std::string s = R"({"version":)" + std::to_string(version) + R"(,"cells":[)";
  for (int i = 0; i < 400; ++i) {
    if (i > 0) s += ',';
    s += R"({"x":)" + std::to_string(i % 20) + R"(,"y":)" + std::to_string(i / 20) +
         R"(,"color":"blue"})";
  }
  return s + "]}";
}

class SnapshotsTest : public ::testing::Test {
 protected:
  engine::ManualClock clock_;
  Snapshots snapshots_{{"board.state", "doc.snapshot"}, kInterval,
                       [](std::string_view channel) {
                         return channel.substr(0, 5) == "fast:" ? kShortTtl : kTtl;
                       },
                       clock_.fn()};
};

TEST_F(SnapshotsTest, ASnapshotNotSetAgainExpiresAfterItsChannelsTtl) {
  snapshots_.set("room", board(1));
  snapshots_.set("fast:room", board(1));
  clock_.advance(kShortTtl - milliseconds(1));
  EXPECT_TRUE(snapshots_.get("fast:room").has_value());
  clock_.advance(milliseconds(1));
  EXPECT_EQ(snapshots_.get("fast:room"), std::nullopt) << "the late joiner gets no stale state";
  EXPECT_TRUE(snapshots_.get("room").has_value());
  // Setting again restarts the TTL.
  clock_.advance(kTtl - kShortTtl - milliseconds(1));
  snapshots_.set("room", board(2));
  clock_.advance(kTtl - milliseconds(1));
  EXPECT_EQ(snapshots_.get("room"), board(2));
}

TEST_F(SnapshotsTest, ExpireFreesWhatNobodyAsksFor) {
  for (int i = 0; i < 300; ++i) snapshots_.set("fast:" + std::to_string(i), board(i));
  snapshots_.set("room", board(1));
  const std::size_t room_bytes = [&] {
    Snapshots alone{{}, kInterval, [](std::string_view) { return kTtl; }, clock_.fn()};
    alone.set("room", board(1));
    return alone.stored_bytes();
  }();
  EXPECT_GT(snapshots_.stored_bytes(), 100 * room_bytes);
  clock_.advance(kShortTtl);
  snapshots_.expire();
  EXPECT_EQ(snapshots_.stored_bytes(), room_bytes);
}

TEST_F(SnapshotsTest, NothingStoredGetsNothing) {
  EXPECT_EQ(snapshots_.get("conv:1"), std::nullopt);
  EXPECT_EQ(snapshots_.stored_bytes(), 0u);
  EXPECT_EQ(snapshots_.compressions(), 0u);
}

TEST_F(SnapshotsTest, SetGetRoundTrip) {
  const std::string state = board(1);
  snapshots_.set("room", state);
  EXPECT_EQ(snapshots_.get("room"), state);
  EXPECT_EQ(snapshots_.compressions(), 1u);
  EXPECT_EQ(snapshots_.get("room"), state) << "get does not consume the snapshot";
  EXPECT_EQ(snapshots_.get("other"), std::nullopt);
}

TEST_F(SnapshotsTest, RoundTripOfAwkwardPayloads) {
  const std::string binaryish("{\"s\":\"\\u0000\",\"raw\":\"\xc3\xa9\xf0\x9f\x98\x80\"}");
  for (const std::string& payload :
       {std::string("{}"), std::string("null"), binaryish, std::string(100000, ' ') + "1"}) {
    snapshots_.set("c", payload);
    EXPECT_EQ(snapshots_.get("c"), payload);
    clock_.advance(kInterval);
  }
}

TEST_F(SnapshotsTest, CompressedIsSmallerForCompressibleJson) {
  const std::string state = board(7);
  snapshots_.set("room", state);
  EXPECT_GT(snapshots_.stored_bytes(), 0u);
  EXPECT_LT(snapshots_.stored_bytes() * 4, state.size())
      << "a repetitive JSON document compresses well";
}

TEST_F(SnapshotsTest, ObservesOnlySnapshotTypes) {
  snapshots_.observe(publication("room", "message.new", board(1)));
  EXPECT_EQ(snapshots_.get("room"), std::nullopt);
  snapshots_.observe(publication("room", "board.state", board(2)));
  EXPECT_EQ(snapshots_.get("room"), board(2));
  snapshots_.observe(publication("room", "board.stat", board(3)));
  snapshots_.observe(publication("room", "BOARD.STATE", board(4)));
  EXPECT_EQ(snapshots_.get("room"), board(2));
  snapshots_.observe(publication("doc", "doc.snapshot", R"({"text":"hi"})"));
  EXPECT_EQ(snapshots_.get("doc"), R"({"text":"hi"})");
}

TEST(Snapshots, NoSnapshotTypesObservesNothing) {
  engine::ManualClock clock;
  Snapshots snapshots({}, kInterval, [](std::string_view) { return kTtl; }, clock.fn());
  snapshots.observe(publication("room", "", "{}"));
  snapshots.observe(publication("room", "board.state", "{}"));
  EXPECT_EQ(snapshots.get("room"), std::nullopt);
  snapshots.set("room", "{}");
  EXPECT_EQ(snapshots.get("room"), "{}") << "set works without snapshot types";
}

TEST_F(SnapshotsTest, BurstCompressesOnceAndGetReturnsTheNewest) {
  for (int v = 1; v <= 50; ++v) {
    snapshots_.set("room", board(v));
    EXPECT_EQ(snapshots_.get("room"), board(v)) << "version " << v;
    clock_.advance(milliseconds(10));  // 500 ms in all: inside one interval
  }
  EXPECT_EQ(snapshots_.compressions(), 1u);
}

TEST_F(SnapshotsTest, PendingStateIsCompressedOnceTheIntervalHasPassed) {
  snapshots_.set("room", board(1));
  clock_.advance(milliseconds(400));
  snapshots_.set("room", board(2));
  snapshots_.set("room", board(3));
  EXPECT_EQ(snapshots_.compressions(), 1u);
  clock_.advance(milliseconds(599));
  EXPECT_EQ(snapshots_.get("room"), board(3));
  EXPECT_EQ(snapshots_.compressions(), 1u) << "999 ms after the first compression";
  clock_.advance(milliseconds(1));
  EXPECT_EQ(snapshots_.get("room"), board(3));
  EXPECT_EQ(snapshots_.compressions(), 2u) << "get compresses the pending state when allowed";
  EXPECT_EQ(snapshots_.get("room"), board(3));
  EXPECT_EQ(snapshots_.compressions(), 2u) << "nothing pending: nothing to compress";
}

TEST_F(SnapshotsTest, SetAfterTheIntervalCompressesAtOnce) {
  snapshots_.set("room", board(1));
  clock_.advance(milliseconds(300));
  snapshots_.set("room", board(2));  // pending
  clock_.advance(milliseconds(700));
  snapshots_.set("room", board(3));  // the interval has passed: compressed, pending dropped
  EXPECT_EQ(snapshots_.compressions(), 2u);
  EXPECT_EQ(snapshots_.get("room"), board(3));
  EXPECT_EQ(snapshots_.compressions(), 2u);
  snapshots_.set("room", board(4));  // the interval starts again
  EXPECT_EQ(snapshots_.compressions(), 2u);
  EXPECT_EQ(snapshots_.get("room"), board(4));
}

TEST_F(SnapshotsTest, AtMostOneCompressionPerIntervalOverTime) {
  // One set every 100 ms for 10 s: at most one compression per started interval.
  for (int step = 0; step < 100; ++step) {
    snapshots_.set("room", board(step));
    EXPECT_EQ(snapshots_.get("room"), board(step));
    clock_.advance(milliseconds(100));
  }
  EXPECT_GE(snapshots_.compressions(), 9u);
  EXPECT_LE(snapshots_.compressions(), 10u);
}

TEST_F(SnapshotsTest, IntervalIsPerChannel) {
  snapshots_.set("a", board(1));
  snapshots_.set("b", board(2));
  EXPECT_EQ(snapshots_.compressions(), 2u) << "a compression of one channel does not delay another";
  snapshots_.set("a", board(3));
  EXPECT_EQ(snapshots_.get("a"), board(3));
  EXPECT_EQ(snapshots_.get("b"), board(2));
}

TEST_F(SnapshotsTest, ZeroIntervalCompressesEverySet) {
  Snapshots eager({}, milliseconds(0), [](std::string_view) { return kTtl; }, clock_.fn());
  for (int v = 0; v < 5; ++v) eager.set("room", board(v));
  EXPECT_EQ(eager.compressions(), 5u);
  EXPECT_EQ(eager.get("room"), board(4));
}

TEST_F(SnapshotsTest, RemoveForgetsTheChannel) {
  snapshots_.set("a", board(1));
  snapshots_.set("b", board(2));
  snapshots_.set("a", board(3));  // pending
  const std::size_t both = snapshots_.stored_bytes();
  snapshots_.remove("a");
  EXPECT_EQ(snapshots_.get("a"), std::nullopt);
  EXPECT_EQ(snapshots_.get("b"), board(2));
  EXPECT_LT(snapshots_.stored_bytes(), both);
  snapshots_.remove("b");
  snapshots_.remove("never-set");
  EXPECT_EQ(snapshots_.stored_bytes(), 0u);
  // A new state after removal is stored and compressed at once.
  snapshots_.set("a", board(4));
  EXPECT_EQ(snapshots_.get("a"), board(4));
}

}  // namespace
}  // namespace switchboard::node
