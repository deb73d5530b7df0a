// Session: delivering publications, and acknowledged delivery with retries.
#include <algorithm>
#include <boost/json.hpp>

#include "ack_tracker.hpp"
#include "close_codes.hpp"
#include "error_codes.hpp"
#include "worker_gateway.hpp"
#include "session.hpp"
#include "switchboard/net/connection.hpp"
#include "switchboard/net/worker.hpp"
#include "switchboard/protocol/json_check.hpp"
#include "switchboard/protocol/json_writer.hpp"

namespace switchboard::node {

namespace {

bool reached(std::uint32_t now, std::uint32_t when) {
  return static_cast<std::int32_t>(now - when) >= 0;
}

}  // namespace

void Session::deliver(const DeliveryPtr& delivery, const hub::Channel* channel) {
  if (closed_) return;
  const engine::Publication& publication = *delivery->publication;
  if (publication.skip_publisher && !publication.publisher_user.empty() &&
      publication.publisher_user == info_.user_id) {
    return;
  }
  // The common case has no replay in progress: no per-delivery channel lookup at all.
  if (guarded_channels_ > 0) {
    ChannelState* ch =
        channel != nullptr ? find_channel(channel) : find_channel(publication.channel);
    if (ch != nullptr && ch->guarded) {
      if (ch->recovering) {
        in_flight().buffered.push_back(delivery);  // sent after the history that precedes it
        return;
      }
      if (publication.offset != 0) {
        // Exactly once across a replay: history already sent up to delivered_offset (a new
        // epoch restarts offsets, so only offsets of the same stream compare).
        if (delivery->epoch_hash == ch->epoch_hash && publication.offset <= ch->delivered_offset) {
          return;
        }
        unguard(*ch);  // the live stream has overtaken the replay
      }
    }
  }
  send_delivery(delivery);
}

void Session::send_delivery(const DeliveryPtr& delivery) {
  if (delivery->publication->requires_ack) track_ack(delivery);
  transport_.send(protocol_.publication(delivery));
  for (const ws::SharedFrame& attachment : protocol_.attachments(delivery)) {
    transport_.send_attachment(attachment);
  }
  gateway_.counters().deliveries_total.add();
}

void Session::track_ack(const DeliveryPtr& delivery) {
  const auto& cfg = gateway_.node().config();
  if (!acks_) acks_ = std::make_unique<AckTracker>();
  auto& pending = acks_->pending;
  if (pending.size() >= cfg.max_pending_acks) {
    // The bound is hit: stop tracking the oldest and tell the client which one.
    gateway_.counters().ack_evicted_total.add();
    send_error(error_code::kAckOverflow,
               "too many unacknowledged messages; no more retries for this one",
               pending.front().id);
    pending.erase(pending.begin());
  }
  const std::uint32_t now = gateway_.worker().now();
  AckTracker::Pending entry;
  entry.id = protocol_.ack_key(*delivery);
  entry.publication = delivery->publication;
  entry.frame = transport_.frame_of(protocol_.publication(delivery));
  const auto attachments = protocol_.attachments(delivery);
  entry.attachments.assign(attachments.begin(), attachments.end());
  entry.next_retry = now + static_cast<std::uint32_t>(cfg.ack_retry_initial.count());
  entry.expires = now + static_cast<std::uint32_t>(cfg.ack_expiry.count());
  entry.attempts = 1;
  pending.push_back(std::move(entry));
}

void Session::retry_acks(std::uint32_t now) {
  const auto& cfg = gateway_.node().config();
  auto& counters = gateway_.counters();
  auto& pending = acks_->pending;
  for (auto it = pending.begin(); it != pending.end();) {
    if (!reached(now, it->next_retry)) {
      ++it;
      continue;
    }
    if (it->attempts >= cfg.ack_max_attempts || reached(now, it->expires)) {
      counters.ack_expired_total.add();  // given up: counted, never silently
      it = pending.erase(it);
      continue;
    }
    transport_.send_frame(it->frame);
    for (const ws::SharedFrame& attachment : it->attachments) transport_.send_attachment(attachment);
    counters.ack_retries_total.add();
    // Backoff doubles: initial, 2×initial, 4×initial, ...
    const auto delay = static_cast<std::uint32_t>(cfg.ack_retry_initial.count())
                       << std::min<std::uint32_t>(it->attempts, 16);
    ++it->attempts;
    it->next_retry = now + delay;
    ++it;
  }
  if (pending.empty()) acks_.reset();
}

std::vector<engine::PublicationPtr> Session::take_unacknowledged() {
  std::vector<engine::PublicationPtr> kept;
  if (!acks_) return kept;
  // Only the user's own room: a message on another channel stays in that channel's history,
  // where a reconnecting client recovers it.
  for (auto& p : acks_->pending) {
    if (is_own_room(p.publication->channel)) kept.push_back(std::move(p.publication));
  }
  acks_.reset();
  return kept;
}

void Session::handle_ack(const protocol::Envelope& e) {
  std::string id(e.id);
  if (id.empty() && !e.payload.empty()) {
    boost::json::error_code ec;
    const boost::json::value v = protocol::parse_json(e.payload, ec);
    if (!ec && v.is_object()) {
      if (const auto* p = v.as_object().if_contains("id"); p && p->is_string()) {
        id = std::string(p->as_string());
      }
    }
  }
  if (id.empty()) {
    send_error(error_code::kBadRequest, "ack needs an id", e.type);
    return violation(close_code::kPolicyViolation);
  }
  gateway_.counters().acks_received_total.add();
  if (!acks_) return;  // late or duplicate ack: nothing pending
  auto& pending = acks_->pending;
  auto it = std::find_if(pending.begin(), pending.end(),
                         [&](const AckTracker::Pending& p) { return p.id == id; });
  if (it != pending.end()) pending.erase(it);
  if (pending.empty()) acks_.reset();
}

}  // namespace switchboard::node
