// The publisher's channel and its confirms. See amqp_publisher.hpp.
#include "amqp_publisher.hpp"

#include <amqp_framing.h>

#include <algorithm>

namespace switchboard::engine::rabbitmq {

namespace {
constexpr std::uint8_t kPersistent = 2;  // delivery_mode: written to disk by durable queues
}  // namespace

ChannelSetup open_publisher(amqp_connection_state_t conn, amqp_channel_t channel,
                            const AmqpPublisherSpec& spec) {
  if (auto s = open_channel(conn, channel, 0); !s.error.empty()) return s;
  auto s = declare_exchange(conn, channel, DeclareMode::automatic, 0, spec.exchange,
                            spec.exchange_type, spec.durable);
  if (!s.error.empty()) return s;
  amqp_confirm_select(conn, channel);
  return setup_outcome(conn, channel, "confirm.select", "");
}

int publish_message(amqp_connection_state_t conn, amqp_channel_t channel,
                    const std::string& exchange, const AmqpMessage& message) {
  amqp_basic_properties_t properties{};
  properties._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_CONTENT_TYPE_FLAG;
  properties.delivery_mode = kPersistent;
  properties.content_type = amqp_cstring_bytes("application/json");
  return amqp_basic_publish(conn, channel, bytes_of(exchange), bytes_of(message.routing_key),
                            /*mandatory=*/0, /*immediate=*/0, &properties,
                            bytes_of(message.body));
}

void PublishConfirms::add(std::uint64_t first, std::size_t count, Clock::time_point deadline,
                          Done done) {
  Batch b;
  b.first = first;
  b.last = first + count - 1;
  b.left = count;
  b.confirmed.assign(count, false);
  b.deadline = deadline;
  b.done = std::move(done);
  batches_.push_back(std::move(b));
}

void PublishConfirms::ack(std::uint64_t tag, bool multiple) { settle(tag, multiple, true); }

void PublishConfirms::nack(std::uint64_t tag, bool multiple) { settle(tag, multiple, false); }

void PublishConfirms::settle(std::uint64_t tag, bool multiple, bool positive) {
  std::size_t i = 0;
  while (i < batches_.size() && batches_[i].first <= tag) {
    Batch& b = batches_[i];
    if (!multiple && tag > b.last) {
      ++i;
      continue;
    }
    const std::uint64_t from = multiple ? b.first : tag;
    const std::uint64_t to = std::min(b.last, tag);
    if (!positive) {
      finish(i, false, "RabbitMQ refused a message (basic.nack)");
      continue;  // the next batch moved to index i
    }
    for (std::uint64_t seq = from; seq <= to; ++seq) {
      if (!b.confirmed[seq - b.first]) {
        b.confirmed[seq - b.first] = true;
        --b.left;
      }
    }
    if (b.left == 0) {
      finish(i, true, {});
      continue;
    }
    ++i;
  }
}

void PublishConfirms::expire(Clock::time_point now) {
  for (std::size_t i = 0; i < batches_.size();) {
    if (batches_[i].deadline > now) {
      ++i;
      continue;
    }
    finish(i, false, std::to_string(batches_[i].left) + " of " +
                         std::to_string(batches_[i].confirmed.size()) +
                         " messages not confirmed in time");
  }
}

void PublishConfirms::fail_all(const std::string& why) {
  while (!batches_.empty()) finish(0, false, why);
}

std::optional<PublishConfirms::Clock::time_point> PublishConfirms::next_deadline() const {
  std::optional<Clock::time_point> next;
  for (const auto& b : batches_) {
    if (!next || b.deadline < *next) next = b.deadline;
  }
  return next;
}

void PublishConfirms::finish(std::size_t index, bool ok, std::string detail) {
  Done done = std::move(batches_[index].done);
  batches_.erase(batches_.begin() + static_cast<std::ptrdiff_t>(index));
  done(ok, std::move(detail));
}

}  // namespace switchboard::engine::rabbitmq
