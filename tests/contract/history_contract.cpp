// The HistoryStore contract: every clause of history_store.hpp, for any backend.
#include "history_contract.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace switchboard::engine::contract {
namespace {

using std::chrono::milliseconds;

std::vector<std::uint64_t> offsets(const HistoryResult& r) {
  std::vector<std::uint64_t> out;
  for (const auto& p : r.publications) out.push_back(p->offset);
  return out;
}

std::vector<std::string> payloads(const HistoryResult& r) {
  std::vector<std::string> out;
  for (const auto& p : r.publications) out.push_back(p->payload);
  return out;
}

std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t last) {
  std::vector<std::uint64_t> out;
  for (auto o = first; o <= last; ++o) out.push_back(o);
  return out;
}

constexpr HistoryOptions kSmall{3, std::chrono::minutes(1)};

}  // namespace

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(HistoryContract);

TEST_P(HistoryContract, RemoveCompletesOnceWithoutError) {
  append("ch", "a");
  CompletionCheck removed, unknown;
  store_->remove("ch", removed.callback());
  store_->remove("never-used", unknown.callback());
  removed.expect_succeeded();
  unknown.expect_succeeded();
  EXPECT_TRUE(read("ch", std::nullopt).publications.empty());
}

TEST_P(HistoryContract, OffsetsStartAtOneAndIncreaseWithinOneEpoch) {
  const auto first = append("ch", R"({"n":1})");
  const auto second = append("ch", R"({"n":2})");
  const auto third = append("ch", R"({"n":3})");
  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(first->offset, 1u);
  EXPECT_EQ(second->offset, 2u);
  EXPECT_EQ(third->offset, 3u);
  EXPECT_FALSE(first->epoch.empty());
  EXPECT_EQ(second->epoch, first->epoch);
  EXPECT_EQ(third->epoch, first->epoch);
  EXPECT_EQ(read("ch", std::nullopt).position, (StreamPosition{3, first->epoch}));
}

TEST_P(HistoryContract, StoredCopyKeepsEveryField) {
  Publication p =
      make_publication("room:1", R"({"text":"h\u00e9llo","list":[1,2]})", "BoardUpdate");
  p.id = "msg-7";
  p.requires_ack = true;
  p.publisher_user = "alice";
  const auto stored = await_ok<PublicationPtr>(
      [&](auto done) { store_->append(p, HistoryOptions{}, std::move(done)); });
  const auto result = read("room:1", std::nullopt);
  ASSERT_EQ(result.publications.size(), 1u);
  for (const auto& got : {stored, result.publications[0]}) {
    EXPECT_EQ(got->channel, p.channel);
    EXPECT_EQ(got->type, p.type);
    EXPECT_EQ(got->payload, p.payload);
    EXPECT_EQ(got->id, p.id);
    EXPECT_TRUE(got->requires_ack);
    EXPECT_EQ(got->publisher_user, p.publisher_user);
    EXPECT_EQ(got->offset, 1u);
    EXPECT_EQ(got->epoch, stored->epoch);
  }
}

TEST_P(HistoryContract, ChannelsHaveIndependentStreams) {
  append("a", "1");
  append("a", "2");
  const auto b = append("b", "1");
  EXPECT_EQ(b->offset, 1u);
  EXPECT_EQ(offsets(read("a", std::nullopt)), range(1, 2));
  EXPECT_EQ(payloads(read("b", std::nullopt)), std::vector<std::string>{"1"});
}

TEST_P(HistoryContract, KeepsAtMostSizePublications) {
  for (int i = 1; i <= 10; ++i) append("ch", std::to_string(i), kSmall);
  const auto result = read("ch", std::nullopt);
  EXPECT_EQ(payloads(result), (std::vector<std::string>{"8", "9", "10"}));
  EXPECT_EQ(offsets(result), range(8, 10));
  EXPECT_EQ(result.position.offset, 10u);
}

TEST_P(HistoryContract, SizeZeroAdvancesOffsetsButKeepsNothing) {
  const HistoryOptions off{0, std::chrono::minutes(1)};
  append("ch", "1", off);
  const auto second = append("ch", "2", off);
  EXPECT_EQ(second->offset, 2u);
  const auto result = read("ch", std::nullopt);
  EXPECT_TRUE(result.publications.empty());
  EXPECT_EQ(result.position.offset, 2u);
}

TEST_P(HistoryContract, LateJoinerGetsLatestLimitOldestFirst) {
  for (int i = 1; i <= 6; ++i) append("ch", std::to_string(i));
  const auto result = read("ch", std::nullopt, 4);
  EXPECT_EQ(offsets(result), range(3, 6));
  EXPECT_TRUE(result.recovered);
  EXPECT_TRUE(read("ch", std::nullopt, 0).publications.empty());
  EXPECT_EQ(read("ch", std::nullopt, 0).position.offset, 6u);
}

TEST_P(HistoryContract, ReadOfUnknownChannelStartsAStreamThatAppendsContinue) {
  const auto empty = read("fresh", std::nullopt);
  EXPECT_TRUE(empty.publications.empty());
  EXPECT_EQ(empty.position.offset, 0u);
  ASSERT_FALSE(empty.position.epoch.empty());

  const auto first = append("fresh", "1");
  EXPECT_EQ(first->epoch, empty.position.epoch);
  // A subscriber that saw the empty stream recovers its first publication.
  const auto recovered = read("fresh", empty.position);
  EXPECT_TRUE(recovered.recovered);
  EXPECT_EQ(offsets(recovered), range(1, 1));
}

TEST_P(HistoryContract, RecoversEverythingAfterAPositionInTheWindow) {
  for (int i = 1; i <= 5; ++i) append("ch", std::to_string(i), kSmall);
  const std::string epoch = read("ch", std::nullopt).position.epoch;

  const auto from_3 = read("ch", StreamPosition{3, epoch});
  EXPECT_TRUE(from_3.recovered);
  EXPECT_EQ(offsets(from_3), range(4, 5));
  // The oldest position that loses nothing: the window holds 3..5, so everything after 2.
  const auto from_2 = read("ch", StreamPosition{2, epoch});
  EXPECT_TRUE(from_2.recovered);
  EXPECT_EQ(offsets(from_2), range(3, 5));
  const auto up_to_date = read("ch", StreamPosition{5, epoch});
  EXPECT_TRUE(up_to_date.recovered);
  EXPECT_TRUE(up_to_date.publications.empty());
  EXPECT_EQ(up_to_date.position, (StreamPosition{5, epoch}));
}

TEST_P(HistoryContract, OffsetThatFellOutIsNotRecoveredAndGetsLatest) {
  for (int i = 1; i <= 10; ++i) append("ch", std::to_string(i), kSmall);
  const std::string epoch = read("ch", std::nullopt).position.epoch;
  // The window holds 8..10: from 7 nothing is lost, from 6 offset 7 is (the limit allows both).
  EXPECT_TRUE(read("ch", StreamPosition{7, epoch}).recovered);
  const auto result = read("ch", StreamPosition{6, epoch});
  EXPECT_FALSE(result.recovered);
  EXPECT_EQ(offsets(result), range(8, 10));
  EXPECT_EQ(result.position, (StreamPosition{10, epoch}));
  const auto limited = read("ch", StreamPosition{1, epoch}, 2);
  EXPECT_FALSE(limited.recovered);
  EXPECT_EQ(offsets(limited), range(9, 10));
}

TEST_P(HistoryContract, OtherEpochIsNotRecovered) {
  for (int i = 1; i <= 3; ++i) append("ch", std::to_string(i));
  const std::string epoch = read("ch", std::nullopt).position.epoch;
  const auto result = read("ch", StreamPosition{2, epoch + "x"});
  EXPECT_FALSE(result.recovered);
  EXPECT_EQ(offsets(result), range(1, 3));
}

TEST_P(HistoryContract, OffsetAheadOfTheStreamIsNotRecovered) {
  for (int i = 1; i <= 3; ++i) append("ch", std::to_string(i));
  const std::string epoch = read("ch", std::nullopt).position.epoch;
  const auto result = read("ch", StreamPosition{7, epoch});
  EXPECT_FALSE(result.recovered);
  EXPECT_EQ(offsets(result), range(1, 3));
}

TEST_P(HistoryContract, MoreMissedThanLimitIsNotRecovered) {
  for (int i = 1; i <= 10; ++i) append("ch", std::to_string(i));
  const std::string epoch = read("ch", std::nullopt).position.epoch;
  const auto exactly = read("ch", StreamPosition{6, epoch}, 4);
  EXPECT_TRUE(exactly.recovered);
  EXPECT_EQ(offsets(exactly), range(7, 10));
  const auto too_many = read("ch", StreamPosition{5, epoch}, 4);
  EXPECT_FALSE(too_many.recovered);
  EXPECT_EQ(offsets(too_many), range(7, 10));
}

TEST_P(HistoryContract, StreamExpiresTtlAfterItsLastAppend) {
  const HistoryOptions opts{10, milliseconds(1000)};
  const auto first = append("ch", "1", opts);
  clock_.advance(milliseconds(600));
  append("ch", "2", opts);            // extends the stream's life to t0 + 1600
  clock_.advance(milliseconds(999));  // t0 + 1599
  const auto alive = read("ch", std::nullopt);
  EXPECT_EQ(offsets(alive), range(1, 2));
  EXPECT_EQ(alive.position.epoch, first->epoch);

  clock_.advance(milliseconds(1));  // t0 + 1600: gone
  const auto lost = read("ch", StreamPosition{2, first->epoch});
  EXPECT_FALSE(lost.recovered);
  EXPECT_TRUE(lost.publications.empty());
  EXPECT_NE(lost.position.epoch, first->epoch);
  EXPECT_EQ(lost.position.offset, 0u);
  const auto restarted = append("ch", "3", opts);
  EXPECT_EQ(restarted->offset, 1u);
  EXPECT_NE(restarted->epoch, first->epoch);
}

TEST_P(HistoryContract, ReadDoesNotExtendAStreamsLife) {
  const HistoryOptions opts{10, milliseconds(1000)};
  const auto first = append("ch", "1", opts);
  clock_.advance(milliseconds(900));
  read("ch", std::nullopt);
  clock_.advance(milliseconds(100));
  const auto after = append("ch", "2", opts);
  EXPECT_EQ(after->offset, 1u);
  EXPECT_NE(after->epoch, first->epoch);
}

TEST_P(HistoryContract, RemoveForgetsTheStream) {
  const auto first = append("ch", "1");
  append("ch", "2");
  store_->remove("ch");
  const auto result = read("ch", StreamPosition{2, first->epoch});
  EXPECT_FALSE(result.recovered);
  EXPECT_TRUE(result.publications.empty());
  const auto next = append("ch", "3");
  EXPECT_EQ(next->offset, 1u);
  EXPECT_NE(next->epoch, first->epoch);
  store_->remove("never-used");  // a no-op, not an error
}

TEST_P(HistoryContract, ConcurrentAppendsGetDistinctConsecutiveOffsets) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  const HistoryOptions big{kThreads * kPerThread, std::chrono::minutes(1)};
  std::vector<std::vector<std::uint64_t>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const auto p = append("shared", std::to_string(t) + ":" + std::to_string(i), big);
        seen[t].push_back(p->offset);
        append("own-" + std::to_string(t), std::to_string(i), big);
      }
    });
  }
  for (auto& th : threads) th.join();

  std::vector<std::uint64_t> all;
  for (const auto& s : seen) {
    EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));  // one thread's appends stay in order
    all.insert(all.end(), s.begin(), s.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, range(1, kThreads * kPerThread));
  EXPECT_EQ(offsets(read("shared", std::nullopt, kThreads * kPerThread)),
            range(1, kThreads * kPerThread));
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(read("own-" + std::to_string(t), std::nullopt).position.offset,
              static_cast<std::uint64_t>(kPerThread));
  }
}

}  // namespace switchboard::engine::contract
