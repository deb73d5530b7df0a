// Session: subscribe (answered once the broker confirmed), unsubscribe, client publish,
// typing, presence and history requests. Replay and recovery are in session_recovery.cpp.
#include <boost/json.hpp>

#include "channel_name.hpp"
#include "close_codes.hpp"
#include "error_codes.hpp"
#include "worker_gateway.hpp"
#include "reserved_types.hpp"
#include "session.hpp"
#include "switchboard/net/connection.hpp"
#include "switchboard/net/worker.hpp"
#include "switchboard/protocol/json_check.hpp"
#include "switchboard/protocol/json_fields.hpp"
#include "switchboard/protocol/json_writer.hpp"

namespace switchboard::node {
namespace {

namespace json = boost::json;

// The payload as a JSON object, or nullptr.
const json::object* payload_object(std::string_view payload, json::value& storage) {
  if (payload.empty()) return nullptr;
  json::error_code ec;
  storage = protocol::parse_json(payload, ec);
  return (!ec && storage.is_object()) ? &storage.as_object() : nullptr;
}

std::string_view string_field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return (v && v->is_string()) ? std::string_view(v->as_string()) : std::string_view();
}

// A stream position from {"offset": N, "epoch": "e"}: both required, N a non-negative
// integer, "e" a string. False for anything else (a malformed position is an error, never a
// silent plain subscribe).
bool read_position(const json::object& o, engine::StreamPosition& out) {
  const json::value* offset = o.if_contains("offset");
  const json::value* epoch = o.if_contains("epoch");
  if (!offset || !epoch || !epoch->is_string()) return false;
  if (offset->is_uint64()) {
    out.offset = offset->as_uint64();
  } else if (offset->is_int64() && offset->as_int64() >= 0) {
    out.offset = static_cast<std::uint64_t>(offset->as_int64());
  } else {
    return false;
  }
  out.epoch = std::string(epoch->as_string());
  return true;
}

// The channel named by a typing/presence/history/publish payload: "channel", or seed 001's
// "conversation_id".
std::string target_channel(const json::object& o) {
  if (auto c = string_field(o, "channel"); !c.empty()) return std::string(c);
  if (auto c = string_field(o, "conversation_id"); !c.empty()) return conversation_channel(c);
  return {};
}

// The payload of `error unavailable`, for a request the engine could not answer.
std::string unavailable_payload(std::error_code ec, std::string_view ref) {
  std::string payload;
  protocol::JsonObject(payload)
      .string("code", error_code::kUnavailable)
      .string("message", "the server's state is unavailable: " + ec.message())
      .string("ref", ref)
      .close();
  return payload;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Subscribe / unsubscribe

bool Session::may_subscribe(std::string_view channel) const {
  if (!info_.user_id.empty() && channel == "user:" + info_.user_id) return true;
  if (channel.substr(0, 5) == "user:") return false;  // other users' rooms: never
  for (const auto& pattern : channel_patterns_) {
    if (match_pattern(pattern, channel)) return true;
  }
  const auto& cfg = gateway_.node().config();
  for (const auto& pattern : cfg.public_channels) {
    if (match_pattern(pattern, channel)) return true;
  }
  const config::NamespaceConfig* ns = cfg.namespace_of(channel);
  return ns != nullptr && ns->is_public;
}

Session::ChannelState* Session::find_channel(std::string_view channel) noexcept {
  for (auto& ch : subscriptions_) {
    if (ch.subscription.channel->name == channel) return &ch;
  }
  return nullptr;
}

Session::ChannelState* Session::find_channel(const hub::Channel* channel) noexcept {
  for (auto& ch : subscriptions_) {
    if (ch.subscription.channel == channel) return &ch;
  }
  return nullptr;
}

void Session::unguard(ChannelState& ch) noexcept {
  if (!ch.guarded) return;
  ch.guarded = false;
  --guarded_channels_;
  hub::Hub::set_direct(ch.subscription, transport_.direct_target());
}

void Session::guard(ChannelState& ch) noexcept {
  if (ch.guarded) return;
  ch.guarded = true;
  ++guarded_channels_;
  hub::Hub::set_direct(ch.subscription, nullptr);
}

hub::Subscription* Session::find_subscription(const hub::Channel& channel) noexcept {
  for (auto& ch : subscriptions_) {
    if (ch.subscription.channel == &channel) return &ch.subscription;
  }
  return nullptr;
}

void Session::handle_subscribe(const protocol::Envelope& e) {
  const std::string ref(e.id.empty() ? e.type : e.id);
  json::value storage;
  const json::object* p = payload_object(e.payload, storage);
  if (p == nullptr) {
    send_error(error_code::kBadRequest, "subscribe needs a payload object", ref);
    return violation(close_code::kPolicyViolation);
  }
  // Three shapes: {"channels":[...]}, {"conversation_ids":[...]} (seed 001) and
  // {"channel":"x","offset":N,"epoch":"e"}.
  struct Wanted {
    std::string channel;
    std::string as_given;
    bool has_since = false;
    engine::StreamPosition since;
  };
  std::vector<Wanted> wanted;
  const char* list_key = nullptr;
  for (const char* key : {"channels", "conversation_ids"}) {
    const json::value* v = p->if_contains(key);
    if (v == nullptr) continue;
    if (!v->is_array()) {
      send_error(error_code::kBadRequest, std::string(key) + " must be an array of strings", ref);
      return violation(close_code::kPolicyViolation);
    }
    list_key = key;
    for (const json::value& item : v->as_array()) {
      if (!item.is_string()) {
        send_error(error_code::kBadRequest, std::string(key) + " must be an array of strings", ref);
        return violation(close_code::kPolicyViolation);
      }
      const std::string given(item.as_string());
      wanted.push_back({key[0] == 'c' && key[1] == 'h' ? given : conversation_channel(given), given});
    }
    break;
  }
  if (list_key == nullptr) {
    const std::string single(string_field(*p, "channel"));
    if (single.empty()) {
      send_error(error_code::kBadRequest, "subscribe needs channels, conversation_ids or channel",
                 ref);
      return violation(close_code::kPolicyViolation);
    }
    Wanted w{single, single};
    if (p->contains("offset") || p->contains("epoch")) {
      if (!read_position(*p, w.since)) return bad_position(ref);
      w.has_since = true;
    }
    wanted.push_back(std::move(w));
  }
  // Recovery positions for the list form: {"recover": {"chan": {"offset":N,"epoch":"e"}}}.
  if (const json::value* r = p->if_contains("recover")) {
    if (!r->is_object()) return bad_position(ref);
    for (auto& w : wanted) {
      const json::value* pos = r->as_object().if_contains(w.channel);
      if (pos == nullptr) continue;
      if (!pos->is_object() || !read_position(pos->as_object(), w.since)) return bad_position(ref);
      w.has_since = true;
    }
  }
  bool replay_wanted = gateway_.node().config().replay_on_subscribe;
  if (const json::value* v = p->if_contains("replay")) {
    if (!v->is_bool()) {
      send_error(error_code::kBadRequest, "replay must be true or false", ref);
      return violation(close_code::kPolicyViolation);
    }
    replay_wanted = v->as_bool();
  }

  // Validate everything first: a refused channel is reported, the others are subscribed.
  std::vector<const Wanted*> accepted;
  for (const auto& w : wanted) {
    if (!valid_channel_name(w.channel)) {
      send_error(error_code::kBadChannel, "invalid channel name: " + w.as_given, ref);
      violation(close_code::kPolicyViolation);
    } else if (!may_subscribe(w.channel)) {
      send_error(error_code::kForbidden, "not permitted to subscribe to " + w.channel, ref);
      violation(close_code::kPolicyViolation);
    } else {
      accepted.push_back(&w);
    }
  }
  if (closed_) return;

  PendingSubscribe request;
  request.id = std::string(e.id);
  request.ref = ref;
  request.list_key = list_key;
  const std::string own_room = info_.user_id.empty() ? std::string() : "user:" + info_.user_id;
  for (const Wanted* w : accepted) {
    // The user's own room is joined automatically and does not count against the limit (when
    // held: the broker may have refused it).
    const std::size_t own_held = !own_room.empty() && find_channel(own_room) != nullptr ? 1 : 0;
    if (find_channel(w->channel) == nullptr &&
        subscriptions_.size() - own_held >= gateway_.node().config().max_subscriptions) {
      send_error(error_code::kTooManySubscriptions, "subscription limit reached at " + w->channel,
                 ref);
      continue;
    }
    const std::uint32_t added = subscribe_one(w->channel);
    const bool replay = added != 0 && (replay_wanted || w->has_since) &&
                        gateway_.node().config().history_size_for(w->channel) > 0;
    request.entries.push_back({w->channel, w->as_given, added, replay,
                               w->has_since ? std::optional(w->since) : std::nullopt});
  }
  in_flight().pending_subscribes.push_back(std::move(request));
  answer_ready_subscribes();
}

std::uint32_t Session::subscribe_one(const std::string& channel) {
  if (find_channel(channel) != nullptr) return 0;  // idempotent
  Node& node = gateway_.node();
  // Until the subscription is open, deliveries must pass through the session (buffering,
  // then dropping what a replay covered); afterwards the hub may hand them straight to the
  // connection.
  hub::Hub::AddResult added = gateway_.hub().add(channel, *this, nullptr);
  ChannelState state;
  state.subscription = added.subscription;
  state.id = ++last_subscription_id_ == 0 ? ++last_subscription_id_ : last_subscription_id_;
  state.recovering = true;
  state.guarded = true;
  ++guarded_channels_;
  subscriptions_.push_back(state);
  gateway_.counters().subscriptions.add();
  // The broker's confirmation: at once when the node has it already, else on this worker
  // later (never before when_subscribed returns, so the state pushed above is still there).
  std::weak_ptr<Session> weak = weak_from_this();
  subscriptions_.back().confirmed =
      node.when_subscribed(channel, added.first_on_worker, gateway_.worker(),
                           [weak, channel, id = state.id](std::error_code ec) {
                             if (auto self = weak.lock()) self->on_broker_answer(channel, id, ec);
                           });
  // Presence: every channel but the user's own room.
  if (!info_.user_id.empty() && channel.compare(0, 5, "user:") != 0) {
    subscriptions_.back().presence_joined = true;
    node.presence_add(channel, engine::PresenceEntry{info_.session_id, info_.user_id, node.id()});
  }
  return state.id;
}

void Session::on_broker_answer(const std::string& channel, std::uint32_t id, std::error_code ec) {
  if (closed_) return;
  ChannelState* ch = find_channel(channel);
  if (ch == nullptr || ch->id != id) return;  // unsubscribed meanwhile: nobody waits for it
  if (!ec) {
    ch->confirmed = true;
    return answer_ready_subscribes();
  }
  // The broker will not deliver the channel here: the client is told, the subscription ends
  // (the node asks the broker again when the client subscribes again).
  std::string ref;
  for (const auto& request : in_flight().pending_subscribes) {
    for (const auto& entry : request.entries) {
      if (entry.added == id) ref = request.ref;
    }
  }
  unsubscribe_one(static_cast<std::size_t>(ch - subscriptions_.data()));
  if (admission_ && is_own_room(channel)) {
    // The user's room, before auth.success: the client hears of it right after that.
    admission_->room_refused = ec;
  } else {
    tell_broker_refused(channel, ec, ref);
  }
  answer_ready_subscribes();
}

void Session::tell_broker_refused(const std::string& channel, std::error_code ec,
                                const std::string& ref) {
  send_error(error_code::kUnavailable,
             "cannot subscribe to " + channel + ": the broker did not confirm (" + ec.message() +
                 "); subscribe again later",
             ref);
  send_unsubscribed(channel, "unavailable");
}

void Session::answer_ready_subscribes() {
  // In request order: a later request waits for the answer of an earlier one.
  // (Looked up each turn: an answer may close the session, which releases in_flight_.)
  while (!closed_ && in_flight_ && !in_flight_->pending_subscribes.empty()) {
    auto& pending = in_flight_->pending_subscribes;
    for (const auto& entry : pending.front().entries) {
      const ChannelState* ch = find_channel(entry.channel);
      if (ch != nullptr && !ch->confirmed) return;  // the broker has not answered yet
    }
    const PendingSubscribe request = std::move(pending.front());
    pending.erase(pending.begin());
    answer_subscribe(request);
  }
}

void Session::answer_subscribe(const PendingSubscribe& request) {
  // The user's room, joined at authentication, is answered by the admission (join_own_room),
  // which opens it.
  if (request.own_room) return admit();
  // The reply echoes the shape the client used (seed 001 expects conversation_ids back),
  // and names what is subscribed now (not what the broker refused, or the client left).
  std::string payload;
  protocol::JsonObject reply(payload);
  if (request.list_key != nullptr) {
    std::string list = "[";
    for (const auto& entry : request.entries) {
      if (find_channel(entry.channel) == nullptr) continue;
      if (list.size() > 1) list.push_back(',');
      protocol::append_json_string(list, entry.as_given);
    }
    list.push_back(']');
    reply.raw(request.list_key, list);
  } else if (!request.entries.empty() && find_channel(request.entries.front().channel)) {
    reply.string("channel", request.entries.front().channel);
  }
  reply.close();
  send({.type = "subscribed", .payload = payload, .id = request.id, .reply_to = request.id});
  // Then, per channel: snapshot, then missed or retained events, then live ones (a channel
  // subscribed before gets its snapshot again, and nothing else).
  for (const auto& entry : request.entries) {
    if (closed_) return;
    ChannelState* ch = find_channel(entry.channel);
    if (ch == nullptr) continue;
    const bool added_here = entry.added != 0 && ch->id == entry.added;
    read_snapshot(entry, added_here, request.ref);
  }
}

void Session::read_snapshot(const PendingSubscribe::Entry& entry, bool added_here,
                            const std::string& ref) {
  // The store may answer later, from its own thread; meanwhile a new subscription's live
  // deliveries are buffered (it is `recovering` until its replay or open_live).
  std::weak_ptr<Session> weak = weak_from_this();
  net::Worker& worker = gateway_.worker();
  gateway_.node().snapshots().get(
      entry.channel, [weak, &worker, entry, added_here, ref](std::error_code ec,
                                                             std::optional<Snapshot> snapshot) {
        on_worker(worker, [weak, entry, added_here, ref, ec, snapshot = std::move(snapshot)] {
          auto self = weak.lock();
          if (self && !self->closed_) self->send_snapshot(entry, added_here, ref, ec, snapshot);
        });
      });
}

void Session::send_snapshot(const PendingSubscribe::Entry& entry, bool added_here,
                            const std::string& ref, std::error_code ec,
                            const std::optional<Snapshot>& snapshot) {
  const ChannelState* ch = find_channel(entry.channel);
  // Left meanwhile (and maybe subscribed again: that subscription reads a snapshot of its own).
  if (ch == nullptr || (added_here && ch->id != entry.added)) return;
  Node& node = gateway_.node();
  if (ec) {
    // The joiner cannot have the state now: it is told, and what the subscribe promised follows.
    node.engine_failed(EngineOp::snapshot, ec);
    send_error(error_code::kUnavailable,
               "the snapshot of " + entry.channel + " is unavailable (" + ec.message() + ")", ref);
  } else if (snapshot) {
    if (auto json = node.snapshots().json(*snapshot)) {
      send({.type = "snapshot", .payload = *json, .channel = entry.channel});
    }
  }
  if (closed_ || !added_here) return;
  ChannelState* live = find_channel(entry.channel);
  if (live == nullptr) return;
  if (!entry.replay) return open_live(*live);
  replay(entry.channel, entry.since ? &*entry.since : nullptr,
         node.config().history_size_for(entry.channel));
}

void Session::unsubscribe_one(std::size_t index) {
  ChannelState state = std::move(subscriptions_[index]);
  if (index + 1 != subscriptions_.size()) subscriptions_[index] = std::move(subscriptions_.back());
  subscriptions_.pop_back();
  if (state.guarded) --guarded_channels_;
  const std::string channel = state.subscription.channel->name;
  if (state.recovering && in_flight_) {
    // What was held back for it will not be sent.
    std::erase_if(in_flight_->buffered,
                  [&](const DeliveryPtr& d) { return d->publication->channel == channel; });
  }
  Node& node = gateway_.node();
  const bool last = gateway_.hub().remove(state.subscription);
  gateway_.counters().subscriptions.sub();
  if (last) node.channel_idle_on_worker(channel);
  if (state.presence_joined) node.presence_remove(channel, info_.user_id, info_.session_id);
  if (gateway_.typing().stop(channel, info_.user_id)) {
    std::string payload;
    protocol::JsonObject(payload).string("channel", channel).string("user_id", info_.user_id).close();
    node.emit(channel, "typing.stop", std::move(payload), info_.user_id);
  }
}

void Session::revoke_lost_channels() {
  for (std::size_t i = subscriptions_.size(); i-- > 0;) {
    const std::string channel = subscriptions_[i].subscription.channel->name;
    if (may_subscribe(channel)) continue;
    unsubscribe_one(i);
    send_unsubscribed(channel, "permission_revoked");
  }
}

void Session::send_unsubscribed(const std::string& channel, std::string_view reason) {
  std::string payload;
  protocol::JsonObject o(payload);
  o.string("channel", channel);
  if (channel.compare(0, 5, "conv:") == 0) o.string("conversation_id", channel.substr(5));
  o.string("reason", reason);
  o.close();
  send({.type = "unsubscribed", .payload = payload});
}

void Session::bad_position(std::string_view ref) {
  send_error(error_code::kBadRequest,
             "a stream position is {\"offset\": non-negative integer, \"epoch\": string}", ref);
  violation(close_code::kPolicyViolation);
}

void Session::handle_unsubscribe(const protocol::Envelope& e) {
  const std::string ref(e.id.empty() ? e.type : e.id);
  json::value storage;
  const json::object* p = payload_object(e.payload, storage);
  std::vector<std::pair<std::string, std::string>> wanted;  // channel, as given
  const char* list_key = nullptr;
  if (p != nullptr) {
    for (const char* key : {"channels", "conversation_ids"}) {
      const json::value* v = p->if_contains(key);
      if (v == nullptr || !v->is_array()) continue;
      list_key = key;
      for (const json::value& item : v->as_array()) {
        if (!item.is_string()) continue;
        const std::string given(item.as_string());
        wanted.emplace_back(key[1] == 'h' ? given : conversation_channel(given), given);
      }
      break;
    }
    if (list_key == nullptr) {
      const std::string single(string_field(*p, "channel"));
      if (!single.empty()) wanted.emplace_back(single, single);
    }
  }
  if (wanted.empty()) {
    send_error(error_code::kBadRequest, "unsubscribe needs channels, conversation_ids or channel",
               ref);
    return violation(close_code::kPolicyViolation);
  }
  std::string list = "[";
  bool first = true;
  for (const auto& [channel, given] : wanted) {
    if (channel == "user:" + info_.user_id) continue;  // the user's own room stays
    for (std::size_t i = 0; i < subscriptions_.size(); ++i) {
      if (subscriptions_[i].subscription.channel->name == channel) {
        unsubscribe_one(i);
        break;
      }
    }
    if (!first) list.push_back(',');
    first = false;
    protocol::append_json_string(list, given);
  }
  list.push_back(']');
  std::string payload;
  protocol::JsonObject reply(payload);
  if (list_key != nullptr) {
    reply.raw(list_key, list);
  } else {
    reply.string("channel", wanted.front().second);
  }
  reply.close();
  send({.type = "unsubscribed", .payload = payload, .id = e.id, .reply_to = e.id});
}

// ---------------------------------------------------------------------------------------
// Client publish, typing, presence, history

void Session::handle_publish(const protocol::Envelope& e) {
  const std::string ref(e.id.empty() ? e.type : e.id);
  json::value storage;
  const json::object* p = payload_object(e.payload, storage);
  const std::string channel = p ? target_channel(*p) : std::string();
  if (channel.empty()) {
    send_error(error_code::kBadRequest, "publish needs payload.channel", ref);
    return violation(close_code::kPolicyViolation);
  }
  if (!gateway_.node().config().client_publish_for(channel) || find_channel(channel) == nullptr) {
    send_error(error_code::kForbidden, "not permitted to publish to " + channel, ref);
    return violation(close_code::kPolicyViolation);
  }
  engine::Publication publication;
  publication.channel = channel;
  publication.type = std::string(string_field(*p, "type"));
  if (publication.type.empty()) publication.type = "message.new";
  if (reserved_event_type(publication.type, gateway_.node().config().reserved_type_prefixes)) {
    send_error(error_code::kForbidden,
               "event type " + publication.type + " is reserved for the server", ref);
    return violation(close_code::kPolicyViolation);
  }
  // Forwarded byte for byte, as written (1.0 stays 1.0, -0 stays -0).
  publication.payload = std::string(protocol::raw_field(e.payload, "data").value_or(e.payload));
  publication.publisher_user = info_.user_id;
  std::weak_ptr<Session> weak = weak_from_this();
  net::Worker& worker = gateway_.worker();
  const std::string id(e.id);
  gateway_.node().publish(std::move(publication), [weak, id, ref, &worker](
                                                       std::error_code ec, engine::PublicationPtr) {
    if (id.empty() && !ec) return;
    worker.post([weak, id, ref, ec] {
      auto self = weak.lock();
      if (!self || self->closed_) return;
      if (ec) return self->send_error(error_code::kPublishFailed, ec.message(), ref);
      self->send({.type = "ack", .id = id, .reply_to = id});
    });
  });
}

void Session::handle_typing(const protocol::Envelope& e) {
  const std::string ref(e.id.empty() ? e.type : e.id);
  json::value storage;
  const json::object* p = payload_object(e.payload, storage);
  const std::string channel = p ? target_channel(*p) : std::string();
  if (channel.empty() || find_channel(channel) == nullptr) {
    send_error(channel.empty() ? error_code::kBadRequest : error_code::kNotSubscribed,
               "typing needs a channel or conversation_id this connection subscribed to", ref);
    return violation(close_code::kPolicyViolation);
  }
  const bool stop = p->contains("stop") && p->at("stop").is_bool() && p->at("stop").as_bool();
  Node& node = gateway_.node();
  if (stop) {
    if (!gateway_.typing().stop(channel, info_.user_id)) return;
  } else {
    const std::uint32_t deadline = gateway_.worker().now() +
                                   static_cast<std::uint32_t>(node.config().typing_ttl.count());
    if (!gateway_.typing().touch(channel, info_.user_id, deadline)) return;  // renewal
  }
  // Seed 001's payload: {conversation_id, user_id}; the general form names the channel.
  std::string payload;
  protocol::JsonObject o(payload);
  if (auto conv = string_field(*p, "conversation_id"); !conv.empty()) {
    o.string("conversation_id", conv);
  }
  o.string("channel", channel).string("user_id", info_.user_id);
  o.close();
  node.emit(channel, stop ? "typing.stop" : "typing.start", std::move(payload), info_.user_id);
}

std::string Session::readable_channel(const protocol::Envelope& e, const json::object* p) {
  const std::string channel = p ? target_channel(*p) : std::string();
  if (!channel.empty() && (find_channel(channel) != nullptr || may_subscribe(channel))) {
    return channel;
  }
  send_error(channel.empty() ? error_code::kBadRequest : error_code::kForbidden,
             std::string(e.type) + " needs a channel this connection may join",
             e.id.empty() ? e.type : e.id);
  violation(close_code::kPolicyViolation);
  return {};
}

void Session::handle_presence(const protocol::Envelope& e) {
  json::value storage;
  const json::object* p = payload_object(e.payload, storage);
  const std::string channel = readable_channel(e, p);
  if (channel.empty()) return;
  std::weak_ptr<Session> weak = weak_from_this();
  net::Worker& worker = gateway_.worker();
  const std::string id(e.id);
  Node& node = gateway_.node();
  node.engine().presence->members(
      channel, [weak, channel, id, &worker, &node](std::error_code ec,
                                                    std::vector<engine::PresenceEntry> members) {
        if (ec) {
          node.engine_failed(EngineOp::presence, ec);
          return later(weak, worker, [payload = unavailable_payload(ec, id.empty() ? "presence" : id),
                                      id](Session& self) { self.send_error_payload(payload, id); });
        }
        // One entry per user (a user with three tabs is present once).
        std::string users = "[";
        std::vector<std::string_view> seen;
        for (const auto& m : members) {
          if (std::find(seen.begin(), seen.end(), m.user_id) != seen.end()) continue;
          seen.push_back(m.user_id);
          if (users.size() > 1) users.push_back(',');
          protocol::append_json_string(users, m.user_id);
        }
        users.push_back(']');
        std::string payload;
        protocol::JsonObject(payload)
            .string("channel", channel)
            .raw("users", users)
            .number("connections", members.size())
            .close();
        later(weak, worker, [payload = std::move(payload), id](Session& self) {
          self.send({.type = "presence.state", .payload = payload, .id = id, .reply_to = id});
        });
      });
}

void Session::handle_history(const protocol::Envelope& e) {
  json::value storage;
  const json::object* p = payload_object(e.payload, storage);
  const std::string channel = readable_channel(e, p);
  if (channel.empty()) return;
  const std::string ref(e.id.empty() ? e.type : e.id);
  std::size_t limit = gateway_.node().config().history_size_for(channel);
  if (const json::value* l = p->if_contains("limit")) {
    if (!l->is_int64() || l->as_int64() <= 0) {
      send_error(error_code::kBadRequest, "limit must be a positive integer", ref);
      return violation(close_code::kPolicyViolation);
    }
    limit = std::min<std::size_t>(limit, static_cast<std::size_t>(l->as_int64()));
  }
  std::optional<engine::StreamPosition> since;
  if (const json::value* s = p->if_contains("since")) {
    engine::StreamPosition position;
    if (!s->is_object() || !read_position(s->as_object(), position)) return bad_position(ref);
    since = position;
  }
  const bool from_start = !since.has_value();
  std::weak_ptr<Session> weak = weak_from_this();
  net::Worker& worker = gateway_.worker();
  const std::string id(e.id);
  Node& node = gateway_.node();
  node.engine().history->read(channel, since, limit, [weak, channel, id, from_start, &worker,
                                                      &node](std::error_code ec,
                                                             engine::HistoryResult result) {
    if (ec) {
      node.engine_failed(EngineOp::history_read, ec);
      return later(weak, worker, [payload = unavailable_payload(ec, id.empty() ? "history" : id),
                                  id](Session& self) { self.send_error_payload(payload, id); });
    }
    // Without `since`, the client asked for the stream: recovered only if the answer holds
    // all of it (offsets 1..N of the epoch), not just its latest `limit` events.
    if (from_start) result.recovered = result.publications.size() == result.position.offset;
    // {"type":"history","payload":{"channel","position","publications":[envelopes...]}}
    std::string list = "[";
    for (const auto& publication : result.publications) {
      if (list.size() > 1) list.push_back(',');
      const DeliveryPtr d = node.frame(publication);
      // The framed message's JSON text, reused as is: skip the frame header.
      list.append(ws::frame_payload(d->message.plain));
    }
    list.push_back(']');
    std::string position;
    append_position(position, result.position, result.recovered);
    std::string payload;
    protocol::JsonObject(payload)
        .string("channel", channel)
        .raw("position", position)
        .raw("publications", list)
        .close();
    later(weak, worker, [payload = std::move(payload), id](Session& self) {
      self.send({.type = "history", .payload = payload, .id = id, .reply_to = id});
    });
  });
}

}  // namespace switchboard::node
