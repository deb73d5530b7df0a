#pragma once
// The publisher of an AmqpConnection (amqp_connection.hpp): what it publishes to
// (AmqpPublisherSpec), the setup of its channel — channel.open, the exchange declared
// (automatic: created when missing, also after a reconnect), confirm.select — and each
// message sent persistent (delivery_mode 2) as application/json. RabbitMQ confirms each
// message of a confirm-mode channel with basic.ack or basic.nack naming its sequence number
// (1, 2, … on that channel; `multiple`: every one up to it); PublishConfirms keeps the
// batches waiting for theirs.
//
// Not mandatory: a message no queue is bound for is dropped by RabbitMQ (and confirmed),
// unless the exchange has an alternate-exchange.
//
// Thread safety: the connection's thread only.
#include <amqp.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "amqp_channel.hpp"

namespace switchboard::engine::rabbitmq {

struct AmqpPublisherSpec {
  std::string exchange;
  std::string exchange_type = "topic";
  bool durable = true;  // when we create the exchange
};

struct AmqpMessage {
  std::string routing_key;
  std::string body;
};

// Opens `channel`, declares the exchange and puts the channel in confirm mode.
ChannelSetup open_publisher(amqp_connection_state_t conn, amqp_channel_t channel,
                            const AmqpPublisherSpec& spec);

// basic.publish of one message (persistent, application/json); an amqp_status_enum.
int publish_message(amqp_connection_state_t conn, amqp_channel_t channel,
                    const std::string& exchange, const AmqpMessage& message);

// Batches of published messages until RabbitMQ confirmed every one (done(true)), or nacked
// one, or the deadline passed, or the channel went away (done(false, why)). Each done runs
// once, after its batch left the list; confirms for a batch that is gone are ignored.
class PublishConfirms {
 public:
  using Clock = std::chrono::steady_clock;
  using Done = std::function<void(bool ok, std::string detail)>;

  // `count` (> 0) messages with sequence numbers first … first + count - 1, above every
  // batch's already added.
  void add(std::uint64_t first, std::size_t count, Clock::time_point deadline, Done done);
  void ack(std::uint64_t tag, bool multiple);
  void nack(std::uint64_t tag, bool multiple);
  // Fails the batches whose deadline is at or before `now`.
  void expire(Clock::time_point now);
  void fail_all(const std::string& why);

  std::optional<Clock::time_point> next_deadline() const;
  bool empty() const noexcept { return batches_.empty(); }

 private:
  struct Batch {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    std::size_t left = 0;          // not confirmed yet
    std::vector<bool> confirmed;   // by sequence number - first
    Clock::time_point deadline;
    Done done;
  };
  // Marks `tag` (and with `multiple` every one below it) in each batch it covers; a batch
  // with all confirmed, or any nacked, is finished.
  void settle(std::uint64_t tag, bool multiple, bool positive);
  void finish(std::size_t index, bool ok, std::string detail);

  std::deque<Batch> batches_;  // ascending sequence numbers
};

}  // namespace switchboard::engine::rabbitmq
