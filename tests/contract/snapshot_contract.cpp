// The SnapshotStore contract: every clause of snapshot_store.hpp, for any backend.
#include "snapshot_contract.hpp"

#include <chrono>
#include <string>

namespace switchboard::engine::contract {
namespace {

using std::chrono::milliseconds;

}  // namespace

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SnapshotContract);

TEST_P(SnapshotContract, GetReturnsTheBytesSetExactly) {
  // zstd output: any byte, NULs included.
  std::string bytes("\x28\xb5\x2f\xfd\x00\x01\xff:{}\r\n", 12);
  set("board:1", bytes);
  EXPECT_EQ(get("board:1"), bytes);
  EXPECT_EQ(get("board:2"), std::nullopt) << "channels are independent";
  EXPECT_EQ(get("never"), std::nullopt);
}

TEST_P(SnapshotContract, TheLastSetWins) {
  set("board:1", "first");
  set("board:1", "second");
  EXPECT_EQ(get("board:1"), "second");
}

TEST_P(SnapshotContract, LiveUntilItsTtlAfterTheLastSet) {
  set("board:1", "state", milliseconds(1000));
  clock_.advance(milliseconds(999));
  EXPECT_EQ(get("board:1"), "state") << "a read does not extend its life";
  clock_.advance(milliseconds(1));
  EXPECT_EQ(get("board:1"), std::nullopt);
  set("board:2", "a", milliseconds(1000));
  clock_.advance(milliseconds(600));
  set("board:2", "b", milliseconds(1000));  // lives 1000 ms from here
  clock_.advance(milliseconds(600));
  EXPECT_EQ(get("board:2"), "b");
  clock_.advance(milliseconds(400));
  EXPECT_EQ(get("board:2"), std::nullopt);
}

TEST_P(SnapshotContract, RemoveForgetsAtOnce) {
  set("board:1", "state");
  set("board:2", "other");
  remove("board:1");
  EXPECT_EQ(get("board:1"), std::nullopt);
  EXPECT_EQ(get("board:2"), "other");
  remove("unknown");  // a no-op, and it completes
}

TEST_P(SnapshotContract, CallsFromOneThreadTakeEffectInOrder) {
  // Without waiting in between: the get must see the set made just before it.
  Captured<std::pair<std::error_code, std::optional<std::string>>> seen;
  auto cb = seen.callback();
  store_->set("board:order", "v1", std::chrono::hours(1));
  store_->set("board:order", "v2", std::chrono::hours(1));
  store_->get("board:order", [cb](std::error_code ec, std::optional<std::string> v) {
    cb({ec, std::move(v)});
  });
  auto [ec, value] = seen.wait();
  EXPECT_FALSE(ec);
  EXPECT_EQ(value, "v2");
  EXPECT_EQ(seen.calls(), 1);
}

}  // namespace switchboard::engine::contract
