// PublishConfirms: the bookkeeping of a confirm-mode publisher's batches (amqp_publisher.hpp),
// without a server — confirms one by one and `multiple`, a nack failing its batch only, the
// deadline, a lost channel, confirms of a batch that is gone ignored. Time is passed in.
#include "amqp_publisher.hpp"

#include <gtest/gtest.h>

namespace switchboard::engine::rabbitmq {
namespace {

using namespace std::chrono_literals;
using Clock = PublishConfirms::Clock;

struct Answer {
  int calls = 0;
  bool ok = false;
  PublishResult result = PublishResult::lost;
  std::string detail;
  std::vector<bool> delivered;
  PublishConfirms::Done done() {
    return [this](PublishResult r, std::string d, std::vector<bool> each) {
      ++calls;
      result = r;
      ok = r == PublishResult::confirmed;
      detail = std::move(d);
      delivered = std::move(each);
    };
  }
};

const Clock::time_point kStart{};

TEST(PublishConfirms, ABatchIsDoneWhenEveryMessageIsAcked) {
  PublishConfirms confirms;
  Answer a;
  confirms.add(1, 3, kStart + 1s, a.done());
  confirms.ack(1, false);
  confirms.ack(3, false);
  EXPECT_EQ(a.calls, 0) << "message 2 is not confirmed yet";
  confirms.ack(2, false);
  EXPECT_EQ(a.calls, 1);
  EXPECT_TRUE(a.ok);
  EXPECT_TRUE(confirms.empty());
}

TEST(PublishConfirms, MultipleConfirmsEveryOneUpToItAcrossBatches) {
  PublishConfirms confirms;
  Answer a, b;
  confirms.add(1, 2, kStart + 1s, a.done());
  confirms.add(3, 3, kStart + 1s, b.done());
  confirms.ack(4, true);
  EXPECT_EQ(a.calls, 1);
  EXPECT_TRUE(a.ok);
  EXPECT_EQ(b.calls, 0) << "message 5 is not confirmed yet";
  confirms.ack(5, true);
  EXPECT_EQ(b.calls, 1);
  EXPECT_TRUE(b.ok);
}

TEST(PublishConfirms, ANackFailsItsBatchOnlyAndLaterConfirmsOfItAreIgnored) {
  PublishConfirms confirms;
  Answer a, b;
  confirms.add(1, 2, kStart + 1s, a.done());
  confirms.add(3, 1, kStart + 1s, b.done());
  confirms.nack(2, false);
  EXPECT_EQ(a.calls, 1);
  EXPECT_FALSE(a.ok);
  EXPECT_EQ(a.result, PublishResult::refused);
  EXPECT_NE(a.detail.find("basic.nack"), std::string::npos) << a.detail;
  confirms.ack(3, true);  // covers 1 and 2 as well: the failed batch is not answered again
  EXPECT_EQ(a.calls, 1);
  EXPECT_EQ(b.calls, 1);
  EXPECT_TRUE(b.ok);
}

TEST(PublishConfirms, AMultipleNackFailsEveryBatchItCovers) {
  PublishConfirms confirms;
  Answer a, b, c;
  confirms.add(1, 1, kStart + 1s, a.done());
  confirms.add(2, 2, kStart + 1s, b.done());
  confirms.add(4, 1, kStart + 1s, c.done());
  confirms.nack(2, true);
  EXPECT_FALSE(a.ok);
  EXPECT_EQ(a.calls, 1);
  EXPECT_FALSE(b.ok);
  EXPECT_EQ(b.calls, 1);
  EXPECT_EQ(c.calls, 0);
}

TEST(PublishConfirms, NoConfirmBeforeTheDeadlineFailsTheBatch) {
  PublishConfirms confirms;
  Answer a, b;
  confirms.add(1, 2, kStart + 1s, a.done());
  confirms.add(3, 1, kStart + 2s, b.done());
  EXPECT_EQ(confirms.next_deadline(), kStart + 1s);
  confirms.ack(1, false);
  confirms.expire(kStart + 999ms);
  EXPECT_EQ(a.calls, 0);
  confirms.expire(kStart + 1s);
  EXPECT_EQ(a.calls, 1);
  EXPECT_FALSE(a.ok);
  EXPECT_EQ(a.result, PublishResult::timed_out);
  EXPECT_NE(a.detail.find("1 of 2 messages not confirmed in time"), std::string::npos) << a.detail;
  EXPECT_EQ(b.calls, 0);
  EXPECT_EQ(confirms.next_deadline(), kStart + 2s);
}

TEST(PublishConfirms, ALostChannelFailsEveryBatchWithTheReason) {
  PublishConfirms confirms;
  Answer a, b;
  confirms.add(1, 1, kStart + 1s, a.done());
  confirms.add(2, 1, kStart + 1s, b.done());
  confirms.fail_all("the connection to RabbitMQ was lost");
  EXPECT_EQ(a.calls, 1);
  EXPECT_EQ(b.calls, 1);
  EXPECT_EQ(b.detail, "the connection to RabbitMQ was lost");
  EXPECT_EQ(b.result, PublishResult::lost);
  EXPECT_TRUE(confirms.empty());
  EXPECT_FALSE(confirms.next_deadline());
}

// RabbitMQ sends a mandatory message's basic.return before its basic.ack: the batch holding
// that message (and only it) ends as returned once every message of it is acked, saying which
// ones RabbitMQ has — the caller's retry resends only the others.
TEST(PublishConfirms, AReturnedMessageFailsItsBatchOnceItsConfirmsAreInNamingTheDeliveredOnes) {
  PublishConfirms confirms;
  Answer a, b, c;
  confirms.add(1, 1, kStart + 1s, a.done());
  confirms.add(2, 3, kStart + 1s, b.done());
  confirms.add(5, 1, kStart + 1s, c.done());
  confirms.returned(3, "returned by RabbitMQ: 312 NO_ROUTE");
  EXPECT_EQ(b.calls, 0) << "messages 2 and 4 may still be acked";
  confirms.ack(3, true);
  EXPECT_EQ(a.calls, 1);
  EXPECT_TRUE(a.ok);
  EXPECT_EQ(a.delivered, std::vector<bool>{true});
  EXPECT_EQ(b.calls, 0) << "message 4 is not acked yet";
  confirms.returned(4, "returned by RabbitMQ: 312 NO_ROUTE (again)");
  confirms.ack(5, true);
  EXPECT_EQ(b.calls, 1);
  EXPECT_EQ(b.result, PublishResult::returned);
  EXPECT_EQ(b.detail, "returned by RabbitMQ: 312 NO_ROUTE") << "the first return's reason";
  EXPECT_EQ(b.delivered, (std::vector<bool>{true, false, false}));
  EXPECT_EQ(c.calls, 1);
  EXPECT_TRUE(c.ok);
  confirms.returned(9, "of no batch");  // ignored
  EXPECT_TRUE(confirms.empty());
}

// A batch that fails before every confirm came names the messages acked by then.
TEST(PublishConfirms, AFailedBatchNamesTheMessagesAckedBeforeIt) {
  PublishConfirms confirms;
  Answer a, b;
  confirms.add(1, 3, kStart + 1s, a.done());
  confirms.add(4, 2, kStart + 2s, b.done());
  confirms.ack(2, false);
  confirms.expire(kStart + 1s);
  EXPECT_EQ(a.result, PublishResult::timed_out);
  EXPECT_EQ(a.delivered, (std::vector<bool>{false, true, false}));
  confirms.ack(4, false);
  confirms.fail_all("channel closed");
  EXPECT_EQ(b.result, PublishResult::lost);
  EXPECT_EQ(b.delivered, (std::vector<bool>{true, false}));
}

}  // namespace
}  // namespace switchboard::engine::rabbitmq
