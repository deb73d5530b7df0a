// The publisher's channel and its confirms. See amqp_publisher.hpp.
#include "amqp_publisher.hpp"

#include <amqp_framing.h>

#include <algorithm>
#include <string_view>

namespace switchboard::engine::rabbitmq {

namespace {
constexpr std::uint8_t kPersistent = 2;  // delivery_mode: written to disk by durable queues
constexpr std::uint8_t kTransient = 1;
constexpr const char* kSequenceHeader = "sb-seq";
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
                    const AmqpPublisherSpec& spec, const AmqpMessage& message,
                    std::uint64_t sequence) {
  amqp_basic_properties_t properties{};
  properties._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_CONTENT_TYPE_FLAG;
  properties.delivery_mode = spec.persistent ? kPersistent : kTransient;
  properties.content_type = bytes_of(spec.content_type);
  // Signed: RabbitMQ's field tables know 'l' (int64), not librabbitmq's unsigned 'L'.
  amqp_table_entry_t header;
  header.key = amqp_cstring_bytes(kSequenceHeader);
  header.value.kind = AMQP_FIELD_KIND_I64;
  header.value.value.i64 = static_cast<std::int64_t>(sequence);
  if (message.mandatory) {
    properties._flags |= AMQP_BASIC_HEADERS_FLAG;
    properties.headers = amqp_table_t{1, &header};
  }
  return amqp_basic_publish(conn, channel, bytes_of(spec.exchange),
                            bytes_of(message.routing_key), message.mandatory ? 1 : 0,
                            /*immediate=*/0, &properties, bytes_of(message.body));
}

std::optional<std::uint64_t> returned_sequence(const amqp_basic_properties_t& properties) {
  if (!(properties._flags & AMQP_BASIC_HEADERS_FLAG)) return std::nullopt;
  const std::string_view key = kSequenceHeader;
  for (int i = 0; i < properties.headers.num_entries; ++i) {
    const amqp_table_entry_t& e = properties.headers.entries[i];
    if (std::string_view(static_cast<const char*>(e.key.bytes), e.key.len) != key) continue;
    if (e.value.kind == AMQP_FIELD_KIND_I64 && e.value.value.i64 > 0) {
      return static_cast<std::uint64_t>(e.value.value.i64);
    }
  }
  return std::nullopt;
}

void PublishConfirms::add(std::uint64_t first, std::size_t count, Clock::time_point deadline,
                          Done done) {
  Batch b;
  b.first = first;
  b.last = first + count - 1;
  b.left = count;
  b.confirmed.assign(count, false);
  b.delivered.assign(count, true);  // until returned; what counts is confirmed && delivered
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
      finish(i, PublishResult::refused, "RabbitMQ refused a message (basic.nack)");
      continue;  // the next batch moved to index i
    }
    for (std::uint64_t seq = from; seq <= to; ++seq) {
      if (!b.confirmed[seq - b.first]) {
        b.confirmed[seq - b.first] = true;
        --b.left;
      }
    }
    if (b.left == 0) {
      if (b.returned.empty()) {
        finish(i, PublishResult::confirmed, {});
      } else {
        finish(i, PublishResult::returned, std::move(b.returned));
      }
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
    finish(i, PublishResult::timed_out, std::to_string(batches_[i].left) + " of " +
                         std::to_string(batches_[i].confirmed.size()) +
                         " messages not confirmed in time");
  }
}

void PublishConfirms::fail_all(const std::string& why) {
  while (!batches_.empty()) finish(0, PublishResult::lost, why);
}

void PublishConfirms::returned(std::uint64_t tag, std::string why) {
  for (auto& b : batches_) {
    if (b.first > tag) return;
    if (tag > b.last) continue;
    b.delivered[tag - b.first] = false;
    if (b.returned.empty()) b.returned = std::move(why);
    return;
  }
}

std::optional<PublishConfirms::Clock::time_point> PublishConfirms::next_deadline() const {
  std::optional<Clock::time_point> next;
  for (const auto& b : batches_) {
    if (!next || b.deadline < *next) next = b.deadline;
  }
  return next;
}

void PublishConfirms::finish(std::size_t index, PublishResult result, std::string detail) {
  Batch& b = batches_[index];
  Done done = std::move(b.done);
  std::vector<bool> delivered = std::move(b.delivered);
  for (std::size_t m = 0; m < delivered.size(); ++m) delivered[m] = delivered[m] && b.confirmed[m];
  batches_.erase(batches_.begin() + static_cast<std::ptrdiff_t>(index));
  done(result, std::move(detail), std::move(delivered));
}

}  // namespace switchboard::engine::rabbitmq
