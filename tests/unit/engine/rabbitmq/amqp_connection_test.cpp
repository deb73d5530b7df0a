// AmqpConnection against a private RabbitMQ node (tests/support/rabbitmq_server_process.*,
// one per binary): deliveries in order with their acknowledgements reaching the broker, a
// refused login in the status without the password, a missing queue named, a reject landing
// in the dead-letter queue, and a broker restart: reconnected (connects + 1), consuming
// again, the unacknowledged deliveries requeued and delivered again, a settle of the lost
// channel ignored; a publisher beside a consumer, its batch confirmed and delivered in
// order, and one whose exchange cannot be declared failing each batch with the reason. The
// broker's side is read with a plain librabbitmq client
// (amqp_test_client.hpp).
#include "amqp_connection.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "amqp_test_client.hpp"
#include "amqp_url.hpp"
#include "rabbitmq_server_process.hpp"
#include "wait_until.hpp"

namespace switchboard::engine::rabbitmq {
namespace {

using namespace std::chrono_literals;
using net::testing::wait_until;
using switchboard::test::RabbitMqServerProcess;
using testing::AmqpTestClient;

// Deliveries and logins take milliseconds on loopback; a restart of the node ~3.5 s plus our
// backoff (≤ 5 s). 30 s only ends a hang on a loaded 2-core machine.
constexpr auto kWithin = 30s;

class Recorder {
 public:
  void operator()(AmqpDelivery d) {
    std::lock_guard lock(mutex_);
    got_.push_back(std::move(d));
  }
  std::vector<AmqpDelivery> wait_for(std::size_t n) {
    EXPECT_TRUE(wait_until([&] { return size() >= n; }, kWithin))
        << "only " << size() << " of " << n << " deliveries";
    std::lock_guard lock(mutex_);
    return got_;
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return got_.size();
  }
  void clear() {
    std::lock_guard lock(mutex_);
    got_.clear();
  }

 private:
  std::mutex mutex_;
  std::vector<AmqpDelivery> got_;
};

AmqpOptions options_for(const RabbitMqServerProcess& node) {
  AmqpOptions o;
  o.endpoint = parse_amqp_url(node.url()).endpoint;
  o.heartbeat = 2s;
  o.timeout = 5s;
  return o;
}

AmqpConsumerSpec spec(std::string queue) {
  AmqpConsumerSpec s;
  s.queue = std::move(queue);
  s.prefetch = 100;
  return s;
}

class AmqpConnectionTest : public ::testing::Test {
 protected:
  RabbitMqServerProcess& node_ = RabbitMqServerProcess::shared();
  Recorder recorder_;
  std::unique_ptr<AmqpConnection> connect(std::vector<AmqpConsumerSpec> specs,
                                          AmqpOptions options) {
    auto c = std::make_unique<AmqpConnection>(std::move(options),
                                              [this](AmqpDelivery d) { recorder_(std::move(d)); });
    for (auto& s : specs) c->add(std::move(s));
    c->start();
    return c;
  }
  std::unique_ptr<AmqpConnection> connect(std::vector<AmqpConsumerSpec> specs) {
    return connect(std::move(specs), options_for(node_));
  }
};

TEST_F(AmqpConnectionTest, DeliversInOrderAndItsAcksEmptyTheQueue) {
  AmqpTestClient client(node_.port());
  client.declare_queue("in-order");
  for (int i = 0; i < 5; ++i) client.publish("in-order", "m" + std::to_string(i));
  auto connection = connect({spec("in-order")});
  auto got = recorder_.wait_for(5);
  ASSERT_EQ(got.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(got[i].body, "m" + std::to_string(i));
    EXPECT_EQ(got[i].routing_key, "in-order");
    EXPECT_FALSE(got[i].redelivered);
    connection->ack(got[i].consumer, got[i].generation, got[i].delivery_tag);
  }
  EXPECT_TRUE(connection->up()) << connection->status();
  EXPECT_EQ(connection->connects(), 1u);
  // An orderly close requeues whatever is unacknowledged: an empty queue after it means every
  // ack reached the broker (the acks queued before stop() are sent first).
  connection->stop();
  EXPECT_EQ(client.ready("in-order"), 0u);
  client.delete_queue("in-order");
}

TEST_F(AmqpConnectionTest, UnacknowledgedDeliveriesAreRequeuedWhenTheConnectionCloses) {
  AmqpTestClient client(node_.port());
  client.declare_queue("unacked");
  for (int i = 0; i < 3; ++i) client.publish("unacked", "u" + std::to_string(i));
  auto connection = connect({spec("unacked")});
  auto got = recorder_.wait_for(3);
  connection->ack(got[0].consumer, got[0].generation, got[0].delivery_tag);
  connection->stop();
  EXPECT_EQ(client.ready("unacked"), 2u);
  EXPECT_EQ(client.get("unacked"), "u1");
  client.delete_queue("unacked");
}

TEST_F(AmqpConnectionTest, AutomaticDeclareCreatesAMissingQueueAndPassiveNamesIt) {
  AmqpConsumerSpec passive = spec("nowhere");
  passive.declare = DeclareMode::passive;
  auto connection = connect({spec("created-by-us"), passive});
  ASSERT_TRUE(wait_until([&] { return connection->status().find("404") != std::string::npos; },
                         kWithin))
      << connection->status();
  EXPECT_NE(connection->status().find("'nowhere'"), std::string::npos) << connection->status();
  EXPECT_FALSE(connection->up());
  AmqpTestClient client(node_.port());
  EXPECT_EQ(client.ready("created-by-us"), 0u);  // exists: declared by the first consumer
  // The passive consumer is tried again: once the queue exists it consumes.
  client.declare_queue("nowhere");
  EXPECT_TRUE(wait_until([&] { return connection->up(); }, kWithin)) << connection->status();
  client.publish("nowhere", "found");
  EXPECT_EQ(recorder_.wait_for(1).at(0).body, "found");
  connection->stop();
  client.delete_queue("nowhere");
  client.delete_queue("created-by-us");
}

TEST_F(AmqpConnectionTest, ARejectedMessageLandsInTheDeadLetterQueue) {
  AmqpTestClient client(node_.port());
  client.declare_exchange("dlx-test", "fanout");
  client.declare_queue("dead-letters");
  client.bind("dead-letters", "dlx-test", "");
  AmqpConsumerSpec work = spec("work-with-dlx");
  work.declare = DeclareMode::create;
  work.dead_letter_exchange = "dlx-test";
  auto connection = connect({work});
  ASSERT_TRUE(wait_until([&] { return connection->up(); }, kWithin)) << connection->status();
  client.publish("work-with-dlx", "poison");
  auto got = recorder_.wait_for(1);
  connection->reject(got[0].consumer, got[0].generation, got[0].delivery_tag, false);
  ASSERT_TRUE(wait_until([&] { return client.ready("dead-letters") == 1; }, kWithin));
  EXPECT_EQ(client.get("dead-letters"), "poison");
  connection->stop();
  EXPECT_EQ(client.ready("work-with-dlx"), 0u);  // rejected: not requeued
  client.delete_queue("work-with-dlx");
  client.delete_queue("dead-letters");
}

TEST_F(AmqpConnectionTest, ARefusedLoginIsInTheStatusWithoutThePassword) {
  AmqpOptions options = options_for(node_);
  options.endpoint.user = "nobody";
  options.endpoint.password = "not-the-password-9f3";
  auto connection = connect({spec("never")}, options);
  ASSERT_TRUE(wait_until(
      [&] { return connection->status().find("ACCESS_REFUSED") != std::string::npos; }, kWithin))
      << connection->status();
  EXPECT_EQ(connection->status().find("not-the-password-9f3"), std::string::npos);
  EXPECT_FALSE(connection->up());
  EXPECT_EQ(connection->connects(), 0u);
}

// A publish's answer, waited for from the test thread.
class PublishAnswer {
 public:
  AmqpConnection::Published done() {
    return [this](PublishResult result, std::string detail, std::vector<bool> delivered) {
      std::lock_guard lock(mutex_);
      answered_ = true;
      ok_ = result == PublishResult::confirmed;
      result_ = result;
      detail_ = std::move(detail);
      delivered_ = std::move(delivered);
    };
  }
  // The answer's ok and detail; fails the test when none came within kWithin.
  std::pair<bool, std::string> wait() {
    EXPECT_TRUE(wait_until([&] { return answered(); }, kWithin)) << "no answer to the publish";
    std::lock_guard lock(mutex_);
    return {ok_, detail_};
  }
  bool answered() {
    std::lock_guard lock(mutex_);
    return answered_;
  }
  // After wait(): how the batch ended, and which of its messages RabbitMQ has.
  PublishResult result() {
    std::lock_guard lock(mutex_);
    return result_;
  }
  std::vector<bool> delivered() {
    std::lock_guard lock(mutex_);
    return delivered_;
  }

 private:
  std::mutex mutex_;
  bool answered_ = false;
  bool ok_ = false;
  PublishResult result_ = PublishResult::lost;
  std::string detail_;
  std::vector<bool> delivered_;
};

TEST_F(AmqpConnectionTest, APublisherBesideAConsumerHasItsBatchConfirmedAndDeliveredInOrder) {
  AmqpTestClient client(node_.port());
  client.declare_queue("published");
  // The consumer declares the exchange and binds its queue; the publisher finds it.
  auto consumer = spec("published");
  consumer.exchange = "pub.events";
  consumer.bindings = {"events.#"};
  auto connection = std::make_unique<AmqpConnection>(
      options_for(node_), [this](AmqpDelivery d) { recorder_(std::move(d)); });
  connection->add(consumer);
  connection->set_publisher({.exchange = "pub.events"});
  connection->start();
  ASSERT_TRUE(wait_until([&] { return connection->up(); }, kWithin)) << connection->status();
  PublishAnswer answer;
  connection->publish({{"events.a", "{\"i\":0}"}, {"events.b", "{\"i\":1}"},
                       {"other.c", "{\"i\":2}"}, {"events.d", "{\"i\":3}"}},
                      5s, answer.done());
  // Confirmed, the unroutable other.c included (not mandatory: RabbitMQ drops it).
  const auto [ok, detail] = answer.wait();
  EXPECT_TRUE(ok) << detail;
  auto got = recorder_.wait_for(3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].routing_key, "events.a");
  EXPECT_EQ(got[0].body, "{\"i\":0}");
  EXPECT_EQ(got[1].body, "{\"i\":1}");
  EXPECT_EQ(got[2].routing_key, "events.d");
  for (const auto& d : got) connection->ack(d.consumer, d.generation, d.delivery_tag);
  // Mandatory: the unroutable one in the middle comes back; the batch fails once the acks of
  // the others are in, naming the two RabbitMQ has (a retry resends only the other).
  PublishAnswer mandatory;
  connection->publish({{"events.e", "{\"i\":4}", true}, {"other.f", "{\"i\":5}", true},
                       {"events.g", "{\"i\":6}", true}},
                      5s, mandatory.done());
  const auto [m_ok, m_detail] = mandatory.wait();
  EXPECT_FALSE(m_ok);
  EXPECT_EQ(mandatory.result(), PublishResult::returned);
  EXPECT_NE(m_detail.find("312 NO_ROUTE (routing key 'other.f')"), std::string::npos) << m_detail;
  EXPECT_EQ(mandatory.delivered(), (std::vector<bool>{true, false, true}));
  auto more = recorder_.wait_for(5);
  ASSERT_EQ(more.size(), 5u);
  EXPECT_EQ(more[3].routing_key, "events.e");
  EXPECT_EQ(more[4].routing_key, "events.g");
  for (std::size_t i = 3; i < more.size(); ++i) {
    connection->ack(more[i].consumer, more[i].generation, more[i].delivery_tag);
  }
  connection->stop();
  client.delete_queue("published");
}

TEST_F(AmqpConnectionTest, APublisherThatCannotDeclareItsExchangeFailsEachBatchSayingWhy) {
  // Missing (404 to the passive declare), and RabbitMQ refuses to create a name with its
  // reserved prefix: 403 ACCESS_REFUSED. (An existing exchange is used as it is, whatever
  // its type: the passive declare does not compare.)
  auto connection = std::make_unique<AmqpConnection>(options_for(node_), nullptr);
  connection->set_publisher({.exchange = "amq.sb-refused"});
  connection->start();
  ASSERT_TRUE(wait_until([&] { return connection->status().find("403") != std::string::npos; },
                         kWithin))
      << connection->status();
  EXPECT_FALSE(connection->up());
  PublishAnswer answer;
  connection->publish({{"k", "{}"}}, 5s, answer.done());
  const auto [ok, detail] = answer.wait();
  EXPECT_FALSE(ok);
  EXPECT_NE(detail.find("exchange.declare 'amq.sb-refused': 403"), std::string::npos) << detail;
  connection->stop();
  // After stop(): answered at once.
  PublishAnswer late;
  connection->publish({{"k", "{}"}}, 5s, late.done());
  EXPECT_TRUE(late.answered());
  EXPECT_EQ(late.wait().second, "stopped");
}

TEST_F(AmqpConnectionTest, AfterABrokerRestartItReconnectsConsumesAgainAndIgnoresStaleSettles) {
  AmqpTestClient setup(node_.port());
  setup.declare_queue("survives");
  for (int i = 0; i < 2; ++i) setup.publish("survives", "r" + std::to_string(i));
  auto connection = connect({spec("survives")});
  const auto before = recorder_.wait_for(2);
  ASSERT_EQ(before.size(), 2u);
  ASSERT_EQ(connection->connects(), 1u);
  // A clean restart: the durable queue and its persistent (unacknowledged) messages stay
  // (a SIGKILL could lose a queue declared just before: rabbitmq_server_process.hpp).
  node_.stop();
  EXPECT_TRUE(wait_until([&] { return !connection->up(); }, kWithin));
  EXPECT_FALSE(connection->current(before[0].consumer, before[0].generation));
  node_.restart();
  ASSERT_TRUE(wait_until([&] { return connection->up(); }, kWithin)) << connection->status();
  EXPECT_EQ(connection->connects(), 2u);
  // The two come back, redelivered, on the new channel.
  auto after = recorder_.wait_for(4);
  ASSERT_EQ(after.size(), 4u);
  EXPECT_EQ(after[2].body, "r0");
  EXPECT_EQ(after[3].body, "r1");
  EXPECT_TRUE(after[2].redelivered);
  EXPECT_NE(after[2].generation, before[0].generation);
  // Settles of the lost channel are ignored: acking its tags would ack (or, unknown, fail
  // the channel with 406) on the new one.
  connection->ack(before[0].consumer, before[0].generation, before[1].delivery_tag);
  connection->ack(after[2].consumer, after[2].generation, after[2].delivery_tag);
  AmqpTestClient client(node_.port());
  client.publish("survives", "r2");
  auto last = recorder_.wait_for(5);
  EXPECT_EQ(last.at(4).body, "r2");
  EXPECT_TRUE(connection->up()) << connection->status();
  connection->stop();
  // r0 acked; r1 (its stale ack ignored) and r2 requeued by the close.
  EXPECT_EQ(client.ready("survives"), 2u);
  client.delete_queue("survives");
}

}  // namespace
}  // namespace switchboard::engine::rabbitmq
