// The memory presence store's answers, which the presence announcer turns into join and leave
// events: add() answers the user's other live entries in that channel, remove() the ones left.
// A user's entries elsewhere, expired entries and other users' entries never count, and a
// client that changes user moves its entry between them.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/memory/memory_presence.hpp"

namespace switchboard::engine {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kTtl{1000};

class MemoryPresenceTest : public ::testing::Test {
 protected:
  // The memory store answers inline.
  std::size_t add(const std::string& channel, const std::string& client, const std::string& user,
                  const std::string& node = "n1") {
    std::size_t others = 999;
    presence.add(channel, PresenceEntry{client, user, node}, kTtl,
                 [&](std::error_code ec, std::size_t n) {
                   EXPECT_FALSE(ec);
                   others = n;
                 });
    return others;
  }
  std::size_t remove(const std::string& channel, const std::string& client) {
    std::size_t left = 999;
    presence.remove(channel, client, [&](std::error_code ec, std::size_t n) {
      EXPECT_FALSE(ec);
      left = n;
    });
    return left;
  }
  std::vector<PresenceEntry> members(const std::string& channel) {
    std::vector<PresenceEntry> out;
    presence.members(channel, [&](std::error_code ec, std::vector<PresenceEntry> m) {
      EXPECT_FALSE(ec);
      out = std::move(m);
    });
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.client_id < b.client_id; });
    return out;
  }
  bool online(const std::string& user) {
    bool value = false;
    presence.user_online(user, [&](std::error_code, bool v) { value = v; });
    return value;
  }

  ManualClock clock;
  MemoryPresence presence{clock.fn()};
};

TEST_F(MemoryPresenceTest, AddCountsOnlyTheUsersOtherLiveEntriesInThatChannel) {
  EXPECT_EQ(add("room", "c1", "alice"), 0u);
  EXPECT_EQ(add("room", "c2", "bob"), 0u);       // another user
  EXPECT_EQ(add("lobby", "c3", "alice"), 0u);    // the same user elsewhere
  EXPECT_EQ(add("room", "c4", "alice"), 1u);     // c1
  EXPECT_EQ(add("room", "c1", "alice"), 1u);     // a refresh: c4 is the other
  EXPECT_EQ(add("lobby", "c5", "alice"), 1u);    // c3
}

TEST_F(MemoryPresenceTest, RemoveCountsWhatTheUserHasLeftInThatChannel) {
  add("room", "c1", "alice");
  add("room", "c2", "alice");
  add("lobby", "c3", "alice");
  EXPECT_EQ(remove("room", "c1"), 1u);
  EXPECT_EQ(remove("room", "c2"), 0u);  // lobby's c3 does not count
  EXPECT_EQ(remove("room", "c2"), 0u);  // unknown now
  EXPECT_EQ(remove("nowhere", "c3"), 0u);
  EXPECT_TRUE(online("alice"));         // still in lobby
  EXPECT_EQ(remove("lobby", "c3"), 0u);
  EXPECT_FALSE(online("alice"));
}

TEST_F(MemoryPresenceTest, ExpiredEntriesDoNotCountAndARefreshRevivesOne) {
  add("room", "c1", "alice");
  clock.advance(kTtl / 2);
  add("room", "c2", "alice");
  clock.advance(kTtl / 2);  // c1 expired, c2 live
  EXPECT_EQ(add("room", "c3", "alice"), 1u);
  EXPECT_EQ(members("room").size(), 2u);
  EXPECT_EQ(add("room", "c1", "alice"), 2u);  // back: c2 and c3
  clock.advance(kTtl);                        // all expired
  EXPECT_FALSE(online("alice"));
  EXPECT_EQ(remove("room", "c1"), 0u);  // had expired: answered as unknown
  EXPECT_TRUE(members("room").empty());
}

TEST_F(MemoryPresenceTest, AClientThatChangesUserMovesItsEntry) {
  add("room", "c1", "alice");
  add("room", "c2", "alice");
  EXPECT_EQ(add("room", "c1", "bob"), 0u);  // bob's first
  EXPECT_EQ(remove("room", "c2"), 0u);      // alice had only c2 left
  EXPECT_FALSE(online("alice"));
  EXPECT_TRUE(online("bob"));
  const auto m = members("room");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0], (PresenceEntry{"c1", "bob", "n1"}));
}

TEST_F(MemoryPresenceTest, MembersCarryTheirNodeAndARefreshMayMoveIt) {
  add("room", "c1", "alice", "node-a");
  add("room", "c2", "bob", "node-b");
  add("lobby", "c3", "carol", "node-a");
  add("room", "c2", "bob", "node-c");
  const auto m = members("room");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0], (PresenceEntry{"c1", "alice", "node-a"}));
  EXPECT_EQ(m[1], (PresenceEntry{"c2", "bob", "node-c"}));
  EXPECT_EQ(members("lobby"), (std::vector<PresenceEntry>{{"c3", "carol", "node-a"}}));
}

}  // namespace
}  // namespace switchboard::engine
