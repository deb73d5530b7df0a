// RedisPublishKeys against a private redis-server: a claim holds its key for its window, a
// release frees only the holder's key, and the key is the one the history's append writes
// (a publish with history and one without share one rule).
#include "redis_publish_keys.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>

#include "redis_engine_test_support.hpp"
#include "redis_history.hpp"
#include "redis_server_process.hpp"

namespace switchboard::engine::redis {
namespace {

using namespace std::chrono_literals;
using test::RedisServerProcess;
using testing::await_result;
using testing::make_publication;
using testing::started_context;

Publication keyed(std::uint64_t offset, std::string key = "k") {
  Publication p = make_publication("ch", "{}");
  p.idempotency_key = std::move(key);
  p.dedupe_window = 2s;
  p.offset = offset;
  p.epoch = offset == 0 ? "" : "e1";
  return p;
}

class RedisPublishKeysTest : public ::testing::Test {
 protected:
  std::pair<std::error_code, std::optional<StreamPosition>> claim(const Publication& p) {
    return await_result<std::optional<StreamPosition>>(
        [&](auto done) { keys_.claim(p, std::move(done)); });
  }
  std::error_code release(const Publication& p) {
    return await_result<bool>([&](auto done) {
             keys_.release(p, [done = std::move(done)](std::error_code ec) { done(ec, true); });
           }).first;
  }

  RedisServerProcess server_ = RedisServerProcess::start();
  ManualClock clock_;
  std::shared_ptr<RedisContext> context_ = started_context(server_.port(), clock_.fn());
  RedisHistory history_{context_};
  RedisPublishKeys keys_{context_, history_.streams()};
};

TEST_F(RedisPublishKeysTest, TheFirstClaimWinsAndLaterOnesSeeItsPosition) {
  auto [ec, holder] = claim(keyed(0));
  ASSERT_FALSE(ec);
  EXPECT_EQ(holder, std::nullopt);
  auto [ec2, holder2] = claim(keyed(0));
  ASSERT_FALSE(ec2);
  ASSERT_TRUE(holder2.has_value());
  EXPECT_EQ(*holder2, (StreamPosition{0, ""}));
  EXPECT_EQ(claim(keyed(0, "other")).second, std::nullopt);  // keys are per key
}

TEST_F(RedisPublishKeysTest, AfterTheWindowTheKeyIsFreeAgain) {
  ASSERT_EQ(claim(keyed(0)).second, std::nullopt);
  clock_.advance(2s);
  EXPECT_EQ(claim(keyed(0)).second, std::nullopt);
}

TEST_F(RedisPublishKeysTest, OnlyTheHoldersReleaseFreesTheKey) {
  ASSERT_EQ(claim(keyed(4)).second, std::nullopt);
  ASSERT_FALSE(release(keyed(5)));  // not the holder: nothing changes
  EXPECT_EQ(claim(keyed(6)).second, (std::optional<StreamPosition>{StreamPosition{4, "e1"}}));
  ASSERT_FALSE(release(keyed(4)));
  EXPECT_EQ(claim(keyed(6)).second, std::nullopt);
}

TEST_F(RedisPublishKeysTest, AppendStoresOnceAndSharesTheKeyWithClaim) {
  auto append = [&](Publication p) {
    return await_result<PublicationPtr>(
        [&](auto done) { keys_.append(std::move(p), HistoryOptions{}, std::move(done)); });
  };
  const auto [ec, stored] = append(keyed(0));
  ASSERT_FALSE(ec);
  ASSERT_FALSE(stored->duplicate);
  EXPECT_EQ(stored->offset, 1u);
  const auto [ec2, again] = append(keyed(0));
  ASSERT_FALSE(ec2);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->offset, 1u);
  const auto [ec3, holder] = claim(keyed(0));
  ASSERT_FALSE(ec3);
  ASSERT_TRUE(holder.has_value());
  EXPECT_EQ(*holder, (StreamPosition{stored->offset, stored->epoch}));
  // Released with the stored position (its send failed), the key is free for a retry.
  ASSERT_FALSE(release(*stored));
  const auto [ec4, retried] = append(keyed(0));
  ASSERT_FALSE(ec4);
  EXPECT_FALSE(retried->duplicate);
  EXPECT_EQ(retried->offset, 2u);
}

}  // namespace
}  // namespace switchboard::engine::redis
