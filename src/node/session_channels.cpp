// Session: subscribe, unsubscribe, recovery and replay, client publish, typing, presence and
// history requests.
#include <boost/json.hpp>

#include "channel_name.hpp"
#include "close_codes.hpp"
#include "reserved_types.hpp"
#include "gateway_endpoint.hpp"
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

// `error unavailable` for a request the engine could not answer.
std::string unavailable_error(std::error_code ec, std::string_view ref) {
  return protocol::make_error("unavailable", "the server's state is unavailable: " + ec.message(),
                              ref);
}

void append_position(std::string& out, const engine::StreamPosition& position, bool recovered) {
  protocol::JsonObject(out)
      .number("offset", position.offset)
      .string("epoch", position.epoch)
      .boolean("recovered", recovered)
      .close();
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
  const auto& cfg = endpoint_.node().config();
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
  hub::Hub::set_direct(ch.subscription, &connection_);
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
    send_error("bad_request", "subscribe needs a payload object", ref);
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
      send_error("bad_request", std::string(key) + " must be an array of strings", ref);
      return violation(close_code::kPolicyViolation);
    }
    list_key = key;
    for (const json::value& item : v->as_array()) {
      if (!item.is_string()) {
        send_error("bad_request", std::string(key) + " must be an array of strings", ref);
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
      send_error("bad_request", "subscribe needs channels, conversation_ids or channel", ref);
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
  bool replay_wanted = endpoint_.node().config().replay_on_subscribe;
  if (const json::value* v = p->if_contains("replay")) {
    if (!v->is_bool()) {
      send_error("bad_request", "replay must be true or false", ref);
      return violation(close_code::kPolicyViolation);
    }
    replay_wanted = v->as_bool();
  }

  // Validate everything first: a refused channel is reported, the others are subscribed.
  std::vector<const Wanted*> accepted;
  for (const auto& w : wanted) {
    if (!valid_channel_name(w.channel)) {
      send_error("bad_channel", "invalid channel name: " + w.as_given, ref);
      violation(close_code::kPolicyViolation);
    } else if (!may_subscribe(w.channel)) {
      send_error("forbidden", "not permitted to subscribe to " + w.channel, ref);
      violation(close_code::kPolicyViolation);
    } else {
      accepted.push_back(&w);
    }
  }
  if (closed_) return;

  std::string positions;
  protocol::JsonObject pos(positions);
  std::vector<const Wanted*> subscribed;
  for (const Wanted* w : accepted) {
    // The user's own room is joined automatically and does not count against the limit.
    const std::size_t own_room = info_.user_id.empty() ? 0 : 1;
    if (find_channel(w->channel) == nullptr &&
        subscriptions_.size() - own_room >= endpoint_.node().config().max_subscriptions) {
      send_error("too_many_subscriptions", "subscription limit reached at " + w->channel, ref);
      continue;
    }
    std::string position;
    subscribe_one(w->channel, replay_wanted, w->has_since ? &w->since : nullptr, position);
    if (!position.empty()) pos.raw(w->channel, position);
    subscribed.push_back(w);
  }
  pos.close();

  // The reply echoes the shape the client used (seed 001 expects conversation_ids back).
  std::string payload;
  protocol::JsonObject reply(payload);
  if (list_key != nullptr) {
    std::string list = "[";
    for (std::size_t i = 0; i < subscribed.size(); ++i) {
      if (i) list.push_back(',');
      protocol::append_json_string(list, subscribed[i]->as_given);
    }
    list.push_back(']');
    reply.raw(list_key, list);
    if (positions.size() > 2) reply.raw("positions", positions);
  } else if (!subscribed.empty()) {
    reply.string("channel", subscribed.front()->channel);
  }
  reply.close();
  send_json(protocol::make_envelope("subscribed", payload, e.id));

  // Then, per channel: snapshot, then missed or retained events, then live ones.
  for (const Wanted* w : subscribed) {
    if (auto snapshot = endpoint_.node().snapshots().get(w->channel)) {
      std::string state;
      protocol::JsonObject(state)
          .string("type", "snapshot")
          .string("channel", w->channel)
          .raw("payload", *snapshot)
          .close();
      send_json(std::move(state));
    }
    ChannelState* ch = find_channel(w->channel);
    if (ch == nullptr || !ch->recovering) continue;
    replay(w->channel, w->has_since ? &w->since : nullptr,
           endpoint_.node().config().history_size_for(w->channel));
  }
}

bool Session::subscribe_one(const std::string& channel, bool replay_wanted,
                            const engine::StreamPosition* since, std::string& /*position*/) {
  if (find_channel(channel) != nullptr) return false;  // idempotent
  Node& node = endpoint_.node();
  const bool recovering =
      (replay_wanted || since != nullptr) && node.config().history_size_for(channel) > 0;
  // While a replay is pending, deliveries must pass through the session (buffering, dropping
  // duplicates); otherwise the hub may hand them straight to the connection.
  hub::Hub::AddResult added =
      endpoint_.hub().add(channel, *this, recovering ? nullptr : &connection_);
  ChannelState state;
  state.subscription = added.subscription;
  state.recovering = recovering;
  state.guarded = recovering;
  if (state.guarded) ++guarded_channels_;
  subscriptions_.push_back(state);
  endpoint_.counters().subscriptions.add();
  if (added.first_on_worker) node.channel_active_on_worker(channel);
  // Presence: every channel but the user's own room.
  if (!info_.user_id.empty() && channel.compare(0, 5, "user:") != 0) {
    subscriptions_.back().presence_joined = true;
    node.engine().presence->add(
        channel, engine::PresenceEntry{info_.session_id, info_.user_id, node.id()},
        node.config().presence_ttl, node.count_failures(EngineOp::presence));
    node.presence_joined(channel, info_.user_id, info_.session_id);
  }
  return true;
}

void Session::unsubscribe_one(std::size_t index) {
  ChannelState state = subscriptions_[index];
  subscriptions_[index] = subscriptions_.back();
  subscriptions_.pop_back();
  if (state.guarded) --guarded_channels_;
  const std::string channel = state.subscription.channel->name;
  Node& node = endpoint_.node();
  const bool last = endpoint_.hub().remove(state.subscription);
  endpoint_.counters().subscriptions.sub();
  if (last) node.channel_idle_on_worker(channel);
  if (state.presence_joined) {
    // On failure the entry expires at presence_ttl.
    node.engine().presence->remove(channel, info_.session_id,
                                   node.count_failures(EngineOp::presence));
    node.presence_left(channel, info_.user_id, info_.session_id);
  }
  if (endpoint_.typing().stop(channel, info_.user_id)) {
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
    std::string payload;
    protocol::JsonObject o(payload);
    o.string("channel", channel);
    if (channel.compare(0, 5, "conv:") == 0) o.string("conversation_id", channel.substr(5));
    o.string("reason", "permission_revoked");
    o.close();
    send_json(protocol::make_envelope("unsubscribed", payload));
  }
}

void Session::bad_position(std::string_view ref) {
  send_error("bad_request",
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
    send_error("bad_request", "unsubscribe needs channels, conversation_ids or channel", ref);
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
  send_json(protocol::make_envelope("unsubscribed", payload, e.id));
}

// ---------------------------------------------------------------------------------------
// Replay and recovery

void Session::replay(const std::string& channel, const engine::StreamPosition* since,
                     std::size_t limit) {
  std::optional<engine::StreamPosition> from;
  if (since != nullptr) from = *since;
  std::weak_ptr<Session> weak = weak_from_this();
  net::Worker& worker = endpoint_.worker();
  endpoint_.node().engine().history->read(
      channel, from, limit,
      [weak, channel, &worker](std::error_code ec, engine::HistoryResult result) {
        // Back on the session's worker (the memory engine answers inline, already there).
        auto finish = [weak, channel, ec, result = std::move(result)]() {
          auto self = weak.lock();
          if (!self || self->closed_) return;
          if (ec) return self->history_unavailable(channel, ec);
          self->send_history(channel, result);
        };
        if (worker.io().get_executor().running_in_this_thread()) {
          finish();
        } else {
          worker.post(std::move(finish));
        }
      });
}

void Session::history_unavailable(const std::string& channel, std::error_code ec) {
  ChannelState* ch = find_channel(channel);
  if (ch == nullptr) return;
  endpoint_.node().engine_failed(EngineOp::history_read, ec);
  // The client asked for what it missed and cannot have it now: it is told, and gets the live
  // stream from here on (what was buffered meanwhile included).
  send_error("unavailable", "the history of " + channel + " is unavailable (" + ec.message() +
                                "); live events follow",
             {});
  ch->recovering = false;
  unguard(*ch);
  flush_buffered(channel);
}

void Session::send_history(const std::string& channel, const engine::HistoryResult& result) {
  ChannelState* ch = find_channel(channel);
  if (ch == nullptr) return;  // unsubscribed meanwhile
  Node& node = endpoint_.node();
  auto& counters = endpoint_.counters();
  (result.recovered ? counters.recovered_total : counters.not_recovered_total).add();
  // The position: tells the client where the stream is, and whether anything was lost.
  std::string position;
  append_position(position, result.position, result.recovered);
  std::string payload;
  protocol::JsonObject(payload).string("channel", channel).raw("position", position).close();
  send_json(protocol::make_envelope(result.recovered ? "recovered" : "not_recovered", payload));
  ch->recovering = false;
  for (const auto& publication : result.publications) {
    if (publication->offset <= ch->delivered_offset) continue;
    DeliveryPtr replayed = node.frame(publication);
    ch->delivered_offset = publication->offset;
    ch->epoch_hash = replayed->epoch_hash;
    send_delivery(replayed);
  }
  if (ch->delivered_offset == 0) unguard(*ch);  // nothing replayed: nothing to filter
  flush_buffered(channel);
}

void Session::flush_buffered(const std::string& channel) {
  // Live deliveries that arrived meanwhile, minus those the history already covered.
  std::vector<DeliveryPtr> pending;
  pending.swap(buffered_);
  for (auto& d : pending) {
    if (d->publication->channel == channel) {
      deliver(d);
    } else {
      buffered_.push_back(std::move(d));
    }
  }
}

// ---------------------------------------------------------------------------------------
// Client publish, typing, presence, history

void Session::handle_publish(const protocol::Envelope& e) {
  const std::string ref(e.id.empty() ? e.type : e.id);
  json::value storage;
  const json::object* p = payload_object(e.payload, storage);
  const std::string channel = p ? target_channel(*p) : std::string();
  if (channel.empty()) {
    send_error("bad_request", "publish needs payload.channel", ref);
    return violation(close_code::kPolicyViolation);
  }
  if (!endpoint_.node().config().client_publish_for(channel) || find_channel(channel) == nullptr) {
    send_error("forbidden", "not permitted to publish to " + channel, ref);
    return violation(close_code::kPolicyViolation);
  }
  engine::Publication publication;
  publication.channel = channel;
  publication.type = std::string(string_field(*p, "type"));
  if (publication.type.empty()) publication.type = "message.new";
  if (reserved_event_type(publication.type, endpoint_.node().config().reserved_type_prefixes)) {
    send_error("forbidden", "event type " + publication.type + " is reserved for the server", ref);
    return violation(close_code::kPolicyViolation);
  }
  // Forwarded byte for byte, as written (1.0 stays 1.0, -0 stays -0).
  publication.payload = std::string(protocol::raw_field(e.payload, "data").value_or(e.payload));
  publication.publisher_user = info_.user_id;
  std::weak_ptr<Session> weak = weak_from_this();
  net::Worker& worker = endpoint_.worker();
  const std::string id(e.id);
  endpoint_.node().publish(std::move(publication), [weak, id, ref, &worker](
                                                       std::error_code ec, engine::PublicationPtr) {
    if (id.empty() && !ec) return;
    worker.post([weak, id, ref, ec] {
      auto self = weak.lock();
      if (!self || self->closed_) return;
      if (ec) return self->send_error("publish_failed", ec.message(), ref);
      std::string out;
      protocol::JsonObject(out).string("type", "ack").string("id", id).close();
      self->send_json(std::move(out));
    });
  });
}

void Session::handle_typing(const protocol::Envelope& e) {
  const std::string ref(e.id.empty() ? e.type : e.id);
  json::value storage;
  const json::object* p = payload_object(e.payload, storage);
  const std::string channel = p ? target_channel(*p) : std::string();
  if (channel.empty() || find_channel(channel) == nullptr) {
    send_error(channel.empty() ? "bad_request" : "not_subscribed",
               "typing needs a channel or conversation_id this connection subscribed to", ref);
    return violation(close_code::kPolicyViolation);
  }
  const bool stop = p->contains("stop") && p->at("stop").is_bool() && p->at("stop").as_bool();
  Node& node = endpoint_.node();
  if (stop) {
    if (!endpoint_.typing().stop(channel, info_.user_id)) return;
  } else {
    const std::uint32_t deadline = endpoint_.worker().now() +
                                   static_cast<std::uint32_t>(node.config().typing_ttl.count());
    if (!endpoint_.typing().touch(channel, info_.user_id, deadline)) return;  // renewal
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
  send_error(channel.empty() ? "bad_request" : "forbidden",
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
  net::Worker& worker = endpoint_.worker();
  const std::string id(e.id);
  Node& node = endpoint_.node();
  node.engine().presence->members(
      channel, [weak, channel, id, &worker, &node](std::error_code ec,
                                                    std::vector<engine::PresenceEntry> members) {
        if (ec) {
          node.engine_failed(EngineOp::presence, ec);
          return send_later(weak, worker, unavailable_error(ec, id.empty() ? "presence" : id));
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
        send_later(weak, worker, protocol::make_envelope("presence.state", payload, id));
      });
}

void Session::handle_history(const protocol::Envelope& e) {
  json::value storage;
  const json::object* p = payload_object(e.payload, storage);
  const std::string channel = readable_channel(e, p);
  if (channel.empty()) return;
  const std::string ref(e.id.empty() ? e.type : e.id);
  std::size_t limit = endpoint_.node().config().history_size_for(channel);
  if (const json::value* l = p->if_contains("limit")) {
    if (!l->is_int64() || l->as_int64() <= 0) {
      send_error("bad_request", "limit must be a positive integer", ref);
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
  net::Worker& worker = endpoint_.worker();
  const std::string id(e.id);
  Node& node = endpoint_.node();
  node.engine().history->read(channel, since, limit, [weak, channel, id, from_start, &worker,
                                                      &node](std::error_code ec,
                                                             engine::HistoryResult result) {
    if (ec) {
      node.engine_failed(EngineOp::history_read, ec);
      return send_later(weak, worker, unavailable_error(ec, id.empty() ? "history" : id));
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
      const std::string_view frame = d->message.plain.view();
      const auto length = static_cast<std::uint8_t>(frame[1]) & 0x7F;
      list.append(frame.substr(length < 126 ? 2 : (length == 126 ? 4 : 10)));
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
    send_later(weak, worker, protocol::make_envelope("history", payload, id));
  });
}

}  // namespace switchboard::node
