#pragma once
// The publisher of an AmqpConnection (amqp_connection.hpp): what it publishes to
// (AmqpPublisherSpec), the setup of its channel — channel.open, the exchange declared
// (automatic: created when missing, also after a reconnect), confirm.select — and each
// message sent persistent (delivery_mode 2) as application/json. RabbitMQ confirms each
// message of a confirm-mode channel with basic.ack or basic.nack naming its sequence number
// (1, 2, … on that channel; `multiple`: every one up to it); PublishConfirms keeps the
// batches waiting for theirs.
//
// A message no queue is bound for is dropped by RabbitMQ (and confirmed), unless the exchange
// has an alternate-exchange — or it is `mandatory`: then it comes back (basic.return).
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
  bool persistent = true;  // delivery_mode 2 (else 1: kept in memory only)
  std::string content_type = "application/json";
};

struct AmqpMessage {
  std::string routing_key;
  std::string body;
  bool mandatory = false;  // no queue bound for it → basic.return → PublishResult::returned
};

// How a batch ended: every message confirmed, or why not.
enum class PublishResult : std::uint8_t {
  confirmed,
  refused,    // a basic.nack
  returned,   // a mandatory message no queue was bound for
  timed_out,  // no confirm within the batch's timeout (the messages may still arrive)
  lost,       // not connected, the channel or connection lost, or stopped
};

// Opens `channel`, declares the exchange and puts the channel in confirm mode.
ChannelSetup open_publisher(amqp_connection_state_t conn, amqp_channel_t channel,
                            const AmqpPublisherSpec& spec);

// basic.publish of one message, the `sequence`-th on the channel; an amqp_status_enum.
int publish_message(amqp_connection_state_t conn, amqp_channel_t channel,
                    const AmqpPublisherSpec& spec, const AmqpMessage& message,
                    std::uint64_t sequence);
// The sequence number a returned mandatory message carries (its `sb-seq` header), if any.
std::optional<std::uint64_t> returned_sequence(const amqp_basic_properties_t& properties);

// Batches of published messages until RabbitMQ confirmed every one (done(confirmed)), or
// nacked one, or confirmed every one after returning some (returned), or the deadline passed,
// or the channel went away (done(result, why)). Each done runs once, after its batch left the
// list; confirms for a batch that is gone are ignored. `delivered` says, one flag per message
// of the batch, which ones RabbitMQ has (acked and not returned): every one when confirmed,
// else those whose ack came before the end — a caller's retry can leave them out.
class PublishConfirms {
 public:
  using Clock = std::chrono::steady_clock;
  using Done =
      std::function<void(PublishResult result, std::string detail, std::vector<bool> delivered)>;

  // `count` (> 0) messages with sequence numbers first … first + count - 1, above every
  // batch's already added.
  void add(std::uint64_t first, std::size_t count, Clock::time_point deadline, Done done);
  void ack(std::uint64_t tag, bool multiple);
  void nack(std::uint64_t tag, bool multiple);
  // basic.return of message `tag` (RabbitMQ sends it before the message's ack): it is not
  // delivered, and its batch ends as returned once every message of it is acked.
  void returned(std::uint64_t tag, std::string why);
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
    std::vector<bool> delivered;   // acked and not returned, by sequence number - first
    std::string returned;          // why the first returned message came back; empty: none
    Clock::time_point deadline;
    Done done;
  };
  // Marks `tag` (and with `multiple` every one below it) in each batch it covers; a batch
  // with all confirmed, or any nacked, is finished.
  void settle(std::uint64_t tag, bool multiple, bool positive);
  void finish(std::size_t index, PublishResult result, std::string detail);

  std::deque<Batch> batches_;  // ascending sequence numbers
};

}  // namespace switchboard::engine::rabbitmq
