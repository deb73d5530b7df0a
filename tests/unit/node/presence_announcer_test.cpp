// PresenceAnnouncer: which presence.join / presence.leave a node announces from the presence
// store's answers (counts of the user's other live entries, on every node). The timers run on
// an io_context the test polls; the members() check is answered by hand. No test waits for
// wall-clock time: a leave delay of 0 expires at the next poll, one of an hour never does.
#include "presence_announcer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace switchboard::node {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

class PresenceAnnouncerTest : public ::testing::Test {
 protected:
  // An announcer whose leaves are due after `delay`.
  PresenceAnnouncer& make(milliseconds delay) {
    announcer_.emplace(
        io_, delay,
        [this](const std::string& channel, const std::string& user,
               std::function<void(std::optional<bool>)> answer) {
          checks_.push_back(channel + "/" + user);
          answers_.push_back(std::move(answer));
        },
        [this](const std::string& channel, const std::string& user, bool joined) {
          announced_.push_back((joined ? "join " : "leave ") + channel + "/" + user);
        });
    return *announcer_;
  }
  // Runs the timers that are due.
  void poll() {
    io_.restart();
    io_.poll();
  }
  // Answers the oldest members() check.
  void answer_check(std::optional<bool> present) {
    ASSERT_FALSE(answers_.empty()) << "no check was made";
    auto answer = std::move(answers_.front());
    answers_.erase(answers_.begin());
    answer(present);
  }
  std::vector<std::string> announced() {
    std::vector<std::string> out;
    out.swap(announced_);
    return out;
  }
  using List = std::vector<std::string>;

  boost::asio::io_context io_;
  std::vector<std::string> checks_;
  std::vector<std::function<void(std::optional<bool>)>> answers_;
  std::vector<std::string> announced_;
  std::optional<PresenceAnnouncer> announcer_;  // last: destroyed before the io_context
};

TEST_F(PresenceAnnouncerTest, OnlyTheUsersFirstEntryAnywhereAnnouncesAJoin) {
  PresenceAnnouncer& a = make(milliseconds(0));
  a.added("room", "ann", 0);
  a.added("room", "ann", 1);  // a second connection, here or on another node
  a.added("hall", "ann", 0);  // another channel
  EXPECT_EQ(announced(), (List{"join room/ann", "join hall/ann"}));
}

TEST_F(PresenceAnnouncerTest, OnlyTheLastEntryAnywhereLeavesAfterTheDelayOnceTheStoreAgrees) {
  PresenceAnnouncer& a = make(milliseconds(0));
  a.removed("room", "ann", 1);  // still connected elsewhere
  poll();
  EXPECT_TRUE(checks_.empty());
  a.removed("room", "ann", 0);
  EXPECT_TRUE(checks_.empty()) << "not before the delay";
  poll();
  EXPECT_EQ(checks_, List{"room/ann"});
  EXPECT_TRUE(announced().empty()) << "not before the store answered";
  answer_check(false);
  EXPECT_EQ(announced(), List{"leave room/ann"});
  EXPECT_EQ(a.pending(), 0u);
}

TEST_F(PresenceAnnouncerTest, ARejoinWithinTheDelayNeitherLeavesNorJoins) {
  PresenceAnnouncer& a = make(hours(1));
  a.removed("room", "ann", 0);
  EXPECT_EQ(a.pending(), 1u);
  a.added("room", "ann", 0);  // the reload's new connection
  poll();
  EXPECT_TRUE(announced().empty());
  EXPECT_TRUE(checks_.empty());
  EXPECT_EQ(a.pending(), 0u);
}

TEST_F(PresenceAnnouncerTest, AUserBackOnAnotherNodeWhenTheDelayEndsDoesNotLeave) {
  PresenceAnnouncer& a = make(milliseconds(0));
  a.removed("room", "ann", 0);
  poll();
  answer_check(true);  // another node added an entry of ann meanwhile
  EXPECT_TRUE(announced().empty());
  EXPECT_EQ(a.pending(), 0u);
}

TEST_F(PresenceAnnouncerTest, ARejoinAfterTheStoreWasReadLeavesThenJoins) {
  PresenceAnnouncer& a = make(milliseconds(0));
  a.removed("room", "ann", 0);
  poll();
  a.added("room", "ann", 0);  // while the read is in flight
  EXPECT_TRUE(announced().empty());
  answer_check(false);  // the read came before the rejoin: the others saw ann leave
  EXPECT_EQ(announced(), (List{"leave room/ann", "join room/ann"}));
}

TEST_F(PresenceAnnouncerTest, ARejoinTheStoreReadSawIsNotAnnounced) {
  PresenceAnnouncer& a = make(milliseconds(0));
  a.removed("room", "ann", 0);
  poll();
  a.added("room", "ann", 0);
  answer_check(true);
  EXPECT_TRUE(announced().empty());
  EXPECT_EQ(a.pending(), 0u);
}

TEST_F(PresenceAnnouncerTest, ARejoinThatLeftAgainWhileTheStoreWasReadIsCheckedAgain) {
  PresenceAnnouncer& a = make(milliseconds(0));
  a.removed("room", "ann", 0);
  poll();
  a.added("room", "ann", 0);
  a.removed("room", "ann", 0);
  answer_check(true);  // the read may have seen the entry that has gone since
  EXPECT_TRUE(announced().empty());
  EXPECT_EQ(a.pending(), 1u);
  poll();
  EXPECT_EQ(checks_, (List{"room/ann", "room/ann"}));
  answer_check(false);
  EXPECT_EQ(announced(), List{"leave room/ann"});
}

TEST_F(PresenceAnnouncerTest, AFailedReadAnnouncesTheLeave) {
  PresenceAnnouncer& a = make(milliseconds(0));
  a.removed("room", "ann", 0);
  poll();
  answer_check(std::nullopt);
  EXPECT_EQ(announced(), List{"leave room/ann"});
}

TEST_F(PresenceAnnouncerTest, StopDropsPendingLeavesUnannounced) {
  PresenceAnnouncer& a = make(milliseconds(0));
  a.removed("room", "ann", 0);
  a.removed("hall", "ann", 0);
  poll();  // both are being checked
  a.removed("yard", "ann", 0);
  a.stop();
  poll();
  answer_check(false);
  answer_check(false);
  EXPECT_EQ(checks_.size(), 2u) << "the yard leave never fired";
  EXPECT_TRUE(announced().empty());
  EXPECT_EQ(a.pending(), 0u);
}

}  // namespace
}  // namespace switchboard::node
