// Session: replay and recovery. A subscription's live deliveries are buffered until its
// history arrives (read only once the broker confirmed the subscription, so that nothing falls
// between the read and the live stream), then merged by offset: every event exactly once. The
// same machinery recovers what a subscription missed while the broker had lost it.
#include "error_codes.hpp"
#include "worker_gateway.hpp"
#include "session.hpp"
#include "switchboard/net/worker.hpp"
#include "switchboard/protocol/json_writer.hpp"

namespace switchboard::node {

void append_position(std::string& out, const engine::StreamPosition& position, bool recovered) {
  protocol::JsonObject(out)
      .number("offset", position.offset)
      .string("epoch", position.epoch)
      .boolean("recovered", recovered)
      .close();
}

// ---------------------------------------------------------------------------------------
// Replay and recovery

void Session::replay(const std::string& channel, const engine::StreamPosition* since,
                     std::size_t limit) {
  std::optional<engine::StreamPosition> from;
  if (since != nullptr) from = *since;
  std::weak_ptr<Session> weak = weak_from_this();
  net::Worker& worker = gateway_.worker();
  gateway_.node().engine().history->read(
      channel, from, limit,
      [weak, channel, &worker](std::error_code ec, engine::HistoryResult result) {
        on_worker(worker, [weak, channel, ec, result = std::move(result)]() {
          auto self = weak.lock();
          if (!self || self->closed_) return;
          if (ec) return self->history_unavailable(channel, ec);
          self->send_history(channel, result);
        });
      });
}

void Session::on_worker(net::Worker& worker, std::function<void()> fn) {
  if (worker.io().get_executor().running_in_this_thread()) {
    fn();
  } else {
    worker.post(std::move(fn));
  }
}

void Session::history_unavailable(const std::string& channel, std::error_code ec) {
  ChannelState* ch = find_channel(channel);
  if (ch == nullptr) return;
  gateway_.node().engine_failed(EngineOp::history_read, ec);
  // The client asked for what it missed and cannot have it now: it is told, and gets the live
  // stream from here on (what was buffered meanwhile included).
  ch->recovering = false;
  unguard(*ch);
  send_error(
      error_code::kUnavailable,
      "the history of " + channel + " is unavailable (" + ec.message() + "); live events follow",
      {});
  resume_live(channel);
}

void Session::send_history(const std::string& channel, const engine::HistoryResult& result) {
  ChannelState* ch = find_channel(channel);
  if (ch == nullptr) return;  // unsubscribed meanwhile
  Node& node = gateway_.node();
  auto& counters = gateway_.counters();
  (result.recovered ? counters.recovered_total : counters.not_recovered_total).add();
  // What was delivered before counts only in the same stream (a new epoch restarts offsets).
  if (result.position.epoch != ch->epoch) ch->delivered_offset = 0;
  ch->epoch = result.position.epoch;
  ch->recovering = false;
  // The position: tells the client where the stream is, and whether anything was lost.
  std::string position;
  append_position(position, result.position, result.recovered);
  std::string payload;
  protocol::JsonObject(payload).string("channel", channel).raw("position", position).close();
  send({.type = result.recovered ? "recovered" : "not_recovered", .payload = payload});
  for (const auto& publication : result.publications) {
    if (closed_) return;
    DeliveryPtr replayed = node.frame(publication);
    if (replayed->epoch_hash == ch->epoch_hash && publication->offset <= ch->delivered_offset) {
      continue;  // the client has it
    }
    ch->delivered_offset = publication->offset;
    ch->epoch_hash = replayed->epoch_hash;
    send_delivery(replayed);
  }
  if (closed_) return;
  if (ch->delivered_offset == 0) unguard(*ch);  // nothing replayed: nothing to filter
  resume_live(channel);
}

void Session::open_live(ChannelState& ch) {
  ch.recovering = false;
  unguard(ch);
  resume_live(ch.subscription.channel->name);
}

void Session::resume_live(const std::string& channel) {
  flush_buffered(channel);
  if (closed_) return;
  ChannelState* ch = find_channel(channel);
  if (ch == nullptr || !ch->restore_pending) return;
  ch->restore_pending = false;
  recover_lost(*ch);
}

void Session::flush_buffered(const std::string& channel) {
  // Live deliveries that arrived meanwhile, minus those the history already covered.
  if (!in_flight_) return;
  std::vector<DeliveryPtr> pending;
  pending.swap(in_flight_->buffered);
  for (auto& d : pending) {
    if (d->publication->channel == channel) {
      deliver(d);
    } else {
      in_flight().buffered.push_back(std::move(d));
    }
  }
}

// ---------------------------------------------------------------------------------------
// A broker subscription lost and restored: what the live stream missed comes from history

void Session::subscription_restored(const hub::Channel& channel) {
  ChannelState* ch = find_channel(&channel);
  // Not confirmed yet: the broker's confirmation comes after the restore, and what the
  // subscription promises (replay included) starts from there.
  if (ch == nullptr || !ch->confirmed) return;
  if (ch->recovering) {
    ch->restore_pending = true;  // a replay is under way: recover once it is merged
    return;
  }
  recover_lost(*ch);
}

void Session::recover_lost(ChannelState& ch) {
  // Where this connection stands: the last live event its worker delivered on the channel;
  // or the end of the last replay, while that replay's events lead the live stream (guarded)
  // or when no live event came yet. Nothing known (offset 0, no epoch): not recovered.
  const hub::Channel& live = *ch.subscription.channel;
  engine::StreamPosition since{live.last_offset, live.last_epoch};
  const bool live_is_ahead = live.last_epoch == ch.epoch && live.last_offset > ch.delivered_offset;
  if (!ch.epoch.empty() && (ch.guarded || live.last_offset == 0) && !live_is_ahead) {
    since = {ch.delivered_offset, ch.epoch};
  }
  ch.delivered_offset = since.offset;
  ch.epoch = since.epoch;
  ch.epoch_hash = epoch_hash(since.epoch);
  ch.recovering = true;
  guard(ch);
  gateway_.counters().subscription_recoveries_total.add();
  const std::string channel = live.name;
  replay(channel, &since, gateway_.node().config().history_size_for(channel));
}

}  // namespace switchboard::node
