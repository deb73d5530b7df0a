// RedisHistory against private redis-server processes: what the HistoryStore contract suite
// cannot cover — Redis restarts (with and without persistence), a flushed script cache, an
// unreachable or stopped Redis, destruction with calls in flight, entries that do not decode.
#include "redis_history.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "redis_engine_test_support.hpp"
#include "redis_server_process.hpp"

namespace switchboard::engine::redis {
namespace {

using namespace std::chrono_literals;
using test::RedisServerProcess;
using testing::await_result;
using testing::CompletionLog;
using testing::eventually;
using testing::make_publication;
using testing::run_command;
using testing::started_context;

std::pair<std::error_code, PublicationPtr> append(HistoryStore& history, const std::string& ch,
                                                  const std::string& payload) {
  return await_result<PublicationPtr>([&](auto done) {
    history.append(make_publication(ch, payload), HistoryOptions{}, std::move(done));
  });
}

std::pair<std::error_code, HistoryResult> read(HistoryStore& history, const std::string& ch,
                                               std::optional<StreamPosition> since) {
  return await_result<HistoryResult>(
      [&](auto done) { history.read(ch, since, 100, std::move(done)); });
}

// Kills the server and starts it again on the same port, waiting for the context to notice
// both.
void restart(RedisServerProcess& server, RedisContext& context) {
  server.kill();
  ASSERT_TRUE(eventually([&] { return !context.ready(0); }));
  server.restart();
  ASSERT_TRUE(eventually([&] { return context.ready(0); }));
}

// A server of the test's own, a context on it and a store.
class RedisHistoryTest : public ::testing::Test {
 protected:
  RedisServerProcess server_ = RedisServerProcess::start();
  ManualClock clock_;
  std::shared_ptr<RedisContext> context_ = started_context(server_.port(), clock_.fn());
  RedisHistory history_{context_};
};

TEST_F(RedisHistoryTest, ARedisRestartStartsANewEpoch) {
  const auto [ec, first] = append(history_, "ch", "1");
  ASSERT_FALSE(ec);
  ASSERT_FALSE(append(history_, "ch", "2").first);

  restart(server_, *context_);
  const auto [read_ec, result] = read(history_, "ch", StreamPosition{2, first->epoch});
  ASSERT_FALSE(read_ec);
  EXPECT_FALSE(result.recovered);
  EXPECT_TRUE(result.publications.empty());
  EXPECT_NE(result.position.epoch, first->epoch);
  EXPECT_EQ(result.position.offset, 0u);
  const auto [again_ec, again] = append(history_, "ch", "3");
  ASSERT_FALSE(again_ec);
  EXPECT_EQ(again->offset, 1u);
  EXPECT_EQ(again->epoch, result.position.epoch);
}

// With persistence the stream survives a crash, but what was restored may be older than what
// clients saw (an fsync or a replica behind): its offsets must not be trusted under the old
// epoch. The meta hash remembers the run_id it was written under, and a restarted server has a
// new one.
TEST(RedisHistory, StreamsRestoredFromDiskAfterARestartStartANewEpoch) {
  auto server = RedisServerProcess::start({"--appendonly", "yes", "--appendfsync", "always"});
  ManualClock clock;
  auto context = started_context(server.port(), clock.fn());
  RedisHistory history(context);
  const auto [ec, first] = append(history, "ch", "1");
  ASSERT_FALSE(ec);
  ASSERT_FALSE(append(history, "ch", "2").first);

  restart(server, *context);
  const auto [hget_ec, stored_epoch] = run_command(*context, 0, {"HGET", "t:hm:ch", "e"});
  ASSERT_EQ(stored_epoch.str, first->epoch) << "the server restored the stream from disk";
  const auto [read_ec, result] = read(history, "ch", StreamPosition{2, first->epoch});
  ASSERT_FALSE(read_ec);
  EXPECT_FALSE(result.recovered);
  EXPECT_NE(result.position.epoch, first->epoch);
  EXPECT_TRUE(result.publications.empty()) << "the restored entries are not served either";
}

TEST_F(RedisHistoryTest, AppendsAfterTheScriptCacheWasFlushed) {
  ASSERT_FALSE(append(history_, "ch", "1").first);
  ASSERT_FALSE(run_command(*context_, 0, {"SCRIPT", "FLUSH"}).first);
  const auto [ec, second] = append(history_, "ch", "2");
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(second->offset, 2u);
  ASSERT_FALSE(run_command(*context_, 0, {"SCRIPT", "FLUSH"}).first);
  const auto [read_ec, result] = read(history_, "ch", std::nullopt);
  ASSERT_FALSE(read_ec) << read_ec.message();
  EXPECT_EQ(result.publications.size(), 2u);
}

TEST_F(RedisHistoryTest, WhileRedisIsDownEveryCallFailsOnceWithUnavailable) {
  server_.kill();
  ASSERT_TRUE(eventually([&] { return !context_->ready(0); }));
  CompletionLog log;
  history_.append(make_publication("ch", "1"), HistoryOptions{}, log.result<PublicationPtr>());
  history_.read("ch", std::nullopt, 10, log.result<HistoryResult>());
  history_.remove("ch", log.completion());
  ASSERT_TRUE(log.wait_for(3));
  // Nothing more arrives: completions are posted once; 200 ms is many loop turns of the
  // engine's thread even on a loaded machine.
  std::this_thread::sleep_for(200ms);
  const auto errors = log.errors();
  ASSERT_EQ(errors.size(), 3u);
  for (const auto& ec : errors) EXPECT_EQ(ec, EngineErrc::unavailable) << ec.message();
}

TEST_F(RedisHistoryTest, AfterTheContextStoppedCallsFailAtOnceOnTheCallersThread) {
  context_->stop();
  CompletionLog log;
  history_.append(make_publication("ch", "1"), HistoryOptions{}, log.result<PublicationPtr>());
  history_.read("ch", std::nullopt, 10, log.result<HistoryResult>());
  history_.remove("ch", log.completion());
  const auto errors = log.errors();  // no wait: they ran before the calls returned
  ASSERT_EQ(errors.size(), 3u);
  for (const auto& ec : errors) EXPECT_EQ(ec, EngineErrc::unavailable);
}

// (Not on the fixture: its store would keep the context alive.)
TEST(RedisHistory, DestroyedWithCallsInFlightEachCompletesOnce) {
  auto server = RedisServerProcess::start();
  ManualClock clock;
  constexpr std::size_t kCalls = 200;
  CompletionLog kept, gone;
  auto context = started_context(server.port(), clock.fn());
  {
    // The store goes, the context stays (other stores share it): the calls still complete.
    auto history = std::make_unique<RedisHistory>(context);
    for (std::size_t i = 0; i < kCalls; ++i) {
      history->append(make_publication("ch", "x"), HistoryOptions{}, kept.result<PublicationPtr>());
    }
  }
  ASSERT_TRUE(kept.wait_for(kCalls));
  for (const auto& ec : kept.errors()) EXPECT_FALSE(ec) << ec.message();
  {
    // Store and context go together: the context's stop completes what is pending.
    auto history = std::make_unique<RedisHistory>(context);
    for (std::size_t i = 0; i < kCalls; ++i) {
      history->append(make_publication("ch", "x"), HistoryOptions{}, gone.result<PublicationPtr>());
    }
    history.reset();
    context.reset();  // the last owner: joins the I/O thread
  }
  EXPECT_EQ(gone.errors().size(), kCalls);
  std::this_thread::sleep_for(50ms);  // (nothing is left that could call them again)
  EXPECT_EQ(kept.errors().size(), kCalls);
  EXPECT_EQ(gone.errors().size(), kCalls);
}

TEST_F(RedisHistoryTest, AnEntryThatDoesNotDecodeIsDroppedCountedAndNotRecovered) {
  const auto [ec, first] = append(history_, "ch", "1");
  ASSERT_FALSE(ec);
  // Another writer's entry at offset 2.
  ASSERT_FALSE(run_command(*context_, 0, {"XADD", "t:hs:ch", "2-0", "d", "not ours"}).first);
  ASSERT_FALSE(run_command(*context_, 0, {"HSET", "t:hm:ch", "s", "2"}).first);

  const auto [read_ec, result] = read(history_, "ch", StreamPosition{1, first->epoch});
  ASSERT_FALSE(read_ec);
  EXPECT_FALSE(result.recovered) << "the reader did not get offset 2";
  EXPECT_TRUE(result.publications.empty());
  EXPECT_EQ(result.position.offset, 2u);
  EXPECT_EQ(history_.stats().undecodable_entries.load(), 1u);
  const auto [latest_ec, latest] = read(history_, "ch", std::nullopt);
  ASSERT_EQ(latest.publications.size(), 1u);
  EXPECT_EQ(latest.publications[0]->payload, "1");
}

}  // namespace
}  // namespace switchboard::engine::redis
