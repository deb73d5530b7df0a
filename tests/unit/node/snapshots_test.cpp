// Snapshots: zstd round trip through the engine's store, which publications count, at most one
// compression and write per interval per channel while a joiner here always gets the newest
// state and the last state of a burst is written once the interval has passed, one write in
// flight per channel, TTLs, and what a failing store does. "Another node" is a second Snapshots
// on the same store: what it answers is what the store holds.
#include "snapshots.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/memory/memory_snapshot_store.hpp"
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

// The memory store, whose writes can be held (sent, not yet applied or answered: a write in
// flight) or failed, and whose reads can fail. Single-threaded, as the tests are.
class ControlledStore final : public engine::SnapshotStore {
 public:
  explicit ControlledStore(engine::NowFn now) : inner_(std::move(now)) {}

  void hold_writes(bool hold) { holding_ = hold; }
  // Applies and answers the held writes, in order.
  void release_writes() {
    auto held = std::move(held_);
    held_.clear();
    for (auto& write : held) write();
  }
  std::size_t held_writes() const { return held_.size(); }
  void fail_writes(bool fail) { fail_writes_ = fail; }
  void fail_reads(bool fail) { fail_reads_ = fail; }
  std::size_t writes() const { return writes_; }
  engine::MemorySnapshotStore& inner() { return inner_; }
  // The bytes the store holds for `channel`.
  std::optional<std::string> bytes(const std::string& channel) {
    std::optional<std::string> out;
    inner_.get(channel, [&](std::error_code, std::optional<std::string> b) { out = std::move(b); });
    return out;
  }

  void set(std::string_view channel, std::string bytes, milliseconds ttl,
           engine::Completion done) override {
    ++writes_;
    if (fail_writes_) return done(engine::EngineErrc::unavailable);
    auto write = [this, channel = std::string(channel), bytes = std::move(bytes), ttl,
                  done = std::move(done)]() mutable {
      inner_.set(channel, std::move(bytes), ttl, std::move(done));
    };
    if (holding_) return held_.push_back(std::move(write));
    write();
  }
  void get(std::string_view channel,
           engine::ResultCallback<std::optional<std::string>> done) override {
    if (fail_reads_) return done(engine::EngineErrc::timeout, std::nullopt);
    inner_.get(channel, std::move(done));
  }
  void remove(std::string_view channel, engine::Completion done) override {
    inner_.remove(channel, std::move(done));
  }

 private:
  engine::MemorySnapshotStore inner_;
  bool holding_ = false;
  bool fail_writes_ = false;
  bool fail_reads_ = false;
  std::size_t writes_ = 0;
  std::vector<std::function<void()>> held_;
};

class SnapshotsTest : public ::testing::Test {
 protected:
  Snapshots make(milliseconds interval = kInterval, std::vector<std::string> types = {}) {
    return Snapshots(std::move(types), interval, ttl_, store_, clock_.fn(),
                     [this](std::error_code ec) { failures_.push_back(ec); });
  }
  // What a joiner gets from `snapshots` (the memory store answers before get() returns).
  static std::optional<std::string> joiner(Snapshots& snapshots, const std::string& channel) {
    std::optional<std::string> out;
    bool answered = false;
    snapshots.get(channel, [&](std::error_code ec, std::optional<Snapshot> snapshot) {
      answered = true;
      EXPECT_FALSE(ec) << ec.message();
      if (snapshot) out = snapshots.json(*snapshot);
    });
    EXPECT_TRUE(answered);
    return out;
  }
  // What a joiner on another node gets: the store's state.
  std::optional<std::string> elsewhere(const std::string& channel) {
    Snapshots other = make();
    return joiner(other, channel);
  }

  engine::ManualClock clock_;
  Snapshots::TtlFn ttl_ = [](std::string_view channel) {
    return channel.substr(0, 5) == "fast:" ? kShortTtl : kTtl;
  };
  ControlledStore store_{clock_.fn()};
  std::vector<std::error_code> failures_;
  Snapshots snapshots_ = make(kInterval, {"board.state", "doc.snapshot"});
};

TEST_F(SnapshotsTest, ASnapshotNotSetAgainExpiresAfterItsChannelsTtl) {
  snapshots_.set("room", board(1));
  snapshots_.set("fast:room", board(1));
  clock_.advance(kShortTtl - milliseconds(1));
  EXPECT_TRUE(elsewhere("fast:room").has_value());
  clock_.advance(milliseconds(1));
  snapshots_.flush();
  EXPECT_EQ(elsewhere("fast:room"), std::nullopt) << "the late joiner gets no stale state";
  EXPECT_EQ(joiner(snapshots_, "fast:room"), std::nullopt) << "nor does one on this node";
  EXPECT_TRUE(elsewhere("room").has_value());
  // Setting again restarts the TTL.
  clock_.advance(kTtl - kShortTtl - milliseconds(1));
  snapshots_.set("room", board(2));
  clock_.advance(kTtl - milliseconds(1));
  EXPECT_EQ(elsewhere("room"), board(2));
  clock_.advance(milliseconds(1));
  EXPECT_EQ(elsewhere("room"), std::nullopt);
}

TEST_F(SnapshotsTest, NothingStoredGetsNothing) {
  EXPECT_EQ(joiner(snapshots_, "conv:1"), std::nullopt);
  EXPECT_EQ(snapshots_.held_bytes(), 0u);
  EXPECT_EQ(snapshots_.writes(), 0u);
  EXPECT_EQ(store_.writes(), 0u);
}

TEST_F(SnapshotsTest, ASetStateReachesJoinersOnEveryNode) {
  const std::string state = board(1);
  snapshots_.set("room", state);
  EXPECT_EQ(snapshots_.writes(), 1u);
  EXPECT_EQ(store_.writes(), 1u);
  EXPECT_EQ(elsewhere("room"), state);
  EXPECT_EQ(joiner(snapshots_, "room"), state);
  EXPECT_EQ(elsewhere("room"), state) << "get does not consume the snapshot";
  EXPECT_EQ(elsewhere("other"), std::nullopt);
  EXPECT_EQ(snapshots_.held_bytes(), 0u) << "written: the store holds it, this node nothing";
}

TEST_F(SnapshotsTest, RoundTripOfAwkwardPayloads) {
  const std::string binaryish("{\"s\":\"\\u0000\",\"raw\":\"\xc3\xa9\xf0\x9f\x98\x80\"}");
  for (const std::string& payload :
       {std::string("{}"), std::string("null"), binaryish, std::string(100000, ' ') + "1"}) {
    snapshots_.set("c", payload);
    EXPECT_EQ(elsewhere("c"), payload);
    clock_.advance(kInterval);
  }
}

TEST_F(SnapshotsTest, TheStoreKeepsTheStateCompressed) {
  const std::string state = board(7);
  snapshots_.set("room", state);
  const auto bytes = store_.bytes("room");
  ASSERT_TRUE(bytes.has_value());
  EXPECT_GT(bytes->size(), 0u);
  EXPECT_LT(bytes->size() * 4, state.size()) << "a repetitive JSON document compresses well";
}

TEST_F(SnapshotsTest, ObservesOnlySnapshotTypes) {
  snapshots_.observe(publication("room", "message.new", board(1)));
  EXPECT_EQ(joiner(snapshots_, "room"), std::nullopt);
  snapshots_.observe(publication("room", "board.state", board(2)));
  EXPECT_EQ(joiner(snapshots_, "room"), board(2));
  snapshots_.observe(publication("room", "board.stat", board(3)));
  snapshots_.observe(publication("room", "BOARD.STATE", board(4)));
  EXPECT_EQ(joiner(snapshots_, "room"), board(2));
  snapshots_.observe(publication("doc", "doc.snapshot", R"({"text":"hi"})"));
  EXPECT_EQ(elsewhere("doc"), R"({"text":"hi"})");
}

TEST_F(SnapshotsTest, NoSnapshotTypesObservesNothing) {
  Snapshots snapshots = make();
  snapshots.observe(publication("room", "", "{}"));
  snapshots.observe(publication("room", "board.state", "{}"));
  EXPECT_EQ(joiner(snapshots, "room"), std::nullopt);
  snapshots.set("room", "{}");
  EXPECT_EQ(elsewhere("room"), "{}") << "set works without snapshot types";
}

// The bug this design fixes: the last state of a burst stayed on the node that received it.
TEST_F(SnapshotsTest, ABurstCostsOneWriteAndItsLastStateIsWrittenOnceTheIntervalHasPassed) {
  for (int v = 1; v <= 50; ++v) {
    snapshots_.set("room", board(v));
    EXPECT_EQ(joiner(snapshots_, "room"), board(v)) << "a joiner here gets the newest at once";
    clock_.advance(milliseconds(10));  // 500 ms in all: inside one interval
  }
  snapshots_.flush();
  EXPECT_EQ(snapshots_.writes(), 1u);
  EXPECT_EQ(elsewhere("room"), board(1)) << "the store has the first state of the burst";
  clock_.advance(milliseconds(500));
  snapshots_.flush();  // the tick after the interval
  EXPECT_EQ(snapshots_.writes(), 2u);
  EXPECT_EQ(elsewhere("room"), board(50));
  EXPECT_EQ(joiner(snapshots_, "room"), board(50));
}

TEST_F(SnapshotsTest, AWaitingStateIsWrittenOnceTheIntervalHasPassedNotBefore) {
  snapshots_.set("room", board(1));
  clock_.advance(milliseconds(400));
  snapshots_.set("room", board(2));
  snapshots_.set("room", board(3));
  EXPECT_EQ(snapshots_.writes(), 1u);
  clock_.advance(milliseconds(599));
  snapshots_.flush();
  EXPECT_EQ(joiner(snapshots_, "room"), board(3));
  EXPECT_EQ(snapshots_.writes(), 1u) << "999 ms after the first write";
  clock_.advance(milliseconds(1));
  snapshots_.flush();
  EXPECT_EQ(snapshots_.writes(), 2u) << "the flush writes the waiting state when allowed";
  EXPECT_EQ(elsewhere("room"), board(3));
  clock_.advance(kInterval);
  snapshots_.flush();
  EXPECT_EQ(snapshots_.writes(), 2u) << "nothing waiting: nothing to write";
}

TEST_F(SnapshotsTest, SetAfterTheIntervalWritesAtOnce) {
  snapshots_.set("room", board(1));
  clock_.advance(milliseconds(300));
  snapshots_.set("room", board(2));  // waits
  clock_.advance(milliseconds(700));
  snapshots_.set("room", board(3));  // the interval has passed: written, board(2) never
  EXPECT_EQ(snapshots_.writes(), 2u);
  EXPECT_EQ(elsewhere("room"), board(3));
  snapshots_.set("room", board(4));  // the interval starts again
  EXPECT_EQ(snapshots_.writes(), 2u);
  EXPECT_EQ(joiner(snapshots_, "room"), board(4));
}

TEST_F(SnapshotsTest, AtMostOneWritePerIntervalOverTime) {
  // One set every 100 ms for 10 s, a flush at every step (more often than the node's tick):
  // at most one write per started interval, and the last state written in the end.
  for (int step = 0; step < 100; ++step) {
    snapshots_.set("room", board(step));
    EXPECT_EQ(joiner(snapshots_, "room"), board(step));
    snapshots_.flush();
    clock_.advance(milliseconds(100));
  }
  EXPECT_GE(snapshots_.writes(), 9u);
  EXPECT_LE(snapshots_.writes(), 10u);
  clock_.advance(kInterval);
  snapshots_.flush();
  EXPECT_EQ(elsewhere("room"), board(99));
}

TEST_F(SnapshotsTest, IntervalIsPerChannel) {
  snapshots_.set("a", board(1));
  snapshots_.set("b", board(2));
  EXPECT_EQ(snapshots_.writes(), 2u) << "a write of one channel does not delay another";
  snapshots_.set("a", board(3));
  EXPECT_EQ(joiner(snapshots_, "a"), board(3));
  EXPECT_EQ(elsewhere("b"), board(2));
}

TEST_F(SnapshotsTest, ZeroIntervalWritesEverySet) {
  Snapshots eager = make(milliseconds(0));
  for (int v = 0; v < 5; ++v) eager.set("room", board(v));
  EXPECT_EQ(eager.writes(), 5u);
  EXPECT_EQ(elsewhere("room"), board(4));
}

TEST_F(SnapshotsTest, OneWriteInFlightPerChannelAndTheNewestFollowsWhenItCompletes) {
  Snapshots eager = make(milliseconds(0));
  store_.hold_writes(true);
  eager.set("room", board(1));
  eager.set("room", board(2));
  eager.set("room", board(3));
  EXPECT_EQ(store_.writes(), 1u) << "the first write is in flight: the others wait for it";
  EXPECT_EQ(joiner(eager, "room"), board(3)) << "a joiner here gets the newest meanwhile";
  EXPECT_EQ(eager.held_bytes(), board(1).size() + board(3).size());
  store_.release_writes();  // board(1) applied; its completion writes board(3), held again
  EXPECT_EQ(store_.writes(), 2u);
  EXPECT_EQ(elsewhere("room"), board(1));
  store_.hold_writes(false);
  store_.release_writes();
  EXPECT_EQ(elsewhere("room"), board(3));
  EXPECT_EQ(eager.writes(), 2u) << "board(2) was replaced before its turn";
  EXPECT_EQ(eager.held_bytes(), 0u);
}

TEST_F(SnapshotsTest, SetIsAnsweredOnceItsStateIsWritten) {
  std::vector<std::error_code> answers;
  auto answer = [&](std::error_code ec) { answers.push_back(ec); };
  snapshots_.set("room", board(1), answer);
  EXPECT_EQ(answers.size(), 1u) << "written at once";
  clock_.advance(milliseconds(100));
  snapshots_.set("room", board(2), answer);
  snapshots_.set("room", board(3), answer);
  EXPECT_EQ(answers.size(), 1u) << "both wait for the interval";
  clock_.advance(kInterval);
  snapshots_.flush();
  ASSERT_EQ(answers.size(), 3u) << "board(2), replaced by board(3), is answered with its write";
  for (auto ec : answers) EXPECT_FALSE(ec);
  EXPECT_EQ(elsewhere("room"), board(3));
}

TEST_F(SnapshotsTest, AFailedWriteIsReportedToItsCallerAndCounted) {
  store_.fail_writes(true);
  std::optional<std::error_code> answer;
  snapshots_.set("room", board(1), [&](std::error_code ec) { answer = ec; });
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(*answer, engine::EngineErrc::unavailable);
  ASSERT_EQ(failures_.size(), 1u);
  EXPECT_EQ(failures_[0], engine::EngineErrc::unavailable);
  EXPECT_EQ(elsewhere("room"), std::nullopt);
  EXPECT_EQ(joiner(snapshots_, "room"), std::nullopt) << "this node kept nothing the store lacks";
  // Not retried; the next state, once the interval allows it, is written.
  store_.fail_writes(false);
  clock_.advance(kInterval);
  snapshots_.flush();
  EXPECT_EQ(store_.writes(), 1u);
  snapshots_.set("room", board(2));
  EXPECT_EQ(elsewhere("room"), board(2));
}

TEST_F(SnapshotsTest, AStateThatExpiresWhileItWaitsIsNotWritten) {
  Snapshots slow = make(milliseconds(10000));
  slow.set("fast:room", board(1));
  clock_.advance(milliseconds(1000));
  std::optional<std::error_code> answer;
  slow.set("fast:room", board(2), [&](std::error_code ec) { answer = ec; });
  clock_.advance(kShortTtl);
  slow.flush();
  ASSERT_TRUE(answer.has_value()) << "answered: set, and expired";
  EXPECT_FALSE(*answer);
  EXPECT_EQ(slow.writes(), 1u);
  EXPECT_EQ(slow.held_bytes(), 0u);
  EXPECT_EQ(joiner(slow, "fast:room"), std::nullopt);
}

TEST_F(SnapshotsTest, HeldBytesAreWhatTheStoreDoesNotHaveYet) {
  snapshots_.set("room", board(1));
  EXPECT_EQ(snapshots_.held_bytes(), 0u);
  snapshots_.set("room", board(22));
  EXPECT_EQ(snapshots_.held_bytes(), board(22).size()) << "waiting for the interval";
  store_.hold_writes(true);
  clock_.advance(kInterval);
  snapshots_.flush();
  EXPECT_EQ(store_.held_writes(), 1u);
  EXPECT_EQ(snapshots_.held_bytes(), board(22).size()) << "being written";
  store_.release_writes();
  EXPECT_EQ(snapshots_.held_bytes(), 0u);
}

TEST_F(SnapshotsTest, AReadTheStoreCannotAnswerIsAnError) {
  snapshots_.set("room", board(1));
  store_.fail_reads(true);
  std::optional<std::error_code> answer;
  snapshots_.get("room", [&](std::error_code ec, std::optional<Snapshot> snapshot) {
    answer = ec;
    EXPECT_FALSE(snapshot.has_value());
  });
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(*answer, engine::EngineErrc::timeout);
}

TEST_F(SnapshotsTest, StoredBytesThatAreNotZstdAreCountedAndNotSent) {
  store_.inner().set("room", "not zstd", kTtl, {});
  EXPECT_EQ(joiner(snapshots_, "room"), std::nullopt);
  EXPECT_EQ(snapshots_.undecodable(), 1u);
}

}  // namespace
}  // namespace switchboard::node
