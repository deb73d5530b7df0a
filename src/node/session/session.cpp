// Session: lifecycle, authentication, dispatch and output. Channel operations are in
// session_channels.cpp, acknowledged delivery in session_delivery.cpp.
#include "session.hpp"

#include <boost/json.hpp>
#include <chrono>

#include "ack_tracker.hpp"
#include "close_codes.hpp"
#include "error_codes.hpp"
#include "worker_gateway.hpp"
#include "switchboard/net/connection.hpp"
#include "switchboard/net/worker.hpp"
#include "switchboard/protocol/json_check.hpp"
#include "switchboard/protocol/json_writer.hpp"
#include "upstream.hpp"

namespace switchboard::node {
namespace {

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t unix_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint32_t ms(std::chrono::milliseconds d) { return static_cast<std::uint32_t>(d.count()); }

}  // namespace

Session::Session(WorkerGateway& gateway, SessionTransport& transport, Protocol& protocol,
                 std::string session_id, std::string remote_address)
    : gateway_(gateway),
      transport_(transport),
      protocol_(protocol),
      bucket_(gateway.node().config().client_burst, std::chrono::steady_clock::now()),
      ping_bucket_(kPingLimit.burst, std::chrono::steady_clock::now()) {
  info_.session_id = std::move(session_id);
  info_.remote_address = std::move(remote_address);
}

Session::~Session() = default;

void Session::open(SessionOpening opening) {
  auth_headers_ = std::move(opening.headers);
  const auto& cfg = gateway_.node().config();
  if (cfg.send_connected) {
    std::string payload;
    protocol::JsonObject(payload)
        .string("session_id", info_.session_id)
        .string("node", gateway_.node().id())
        .close();
    send({.type = "connected", .payload = payload});
  }
  if (opening.identity) {
    auth_state_ = AuthState::authenticating;
    auth_in_flight_ = true;
    return on_authenticated(auth::AuthResult::ok(std::move(*opening.identity)), {});
  }
  if (!opening.token.empty()) return authenticate(std::move(opening.token), {});
  if (protocol_.authenticates_at_open() && !cfg.allow_anonymous) {
    return on_authenticated(
        auth::AuthResult::fail(auth::AuthError::missing_token, "no token in the connect request"),
        {});
  }
  if (cfg.allow_anonymous) {
    auth_state_ = AuthState::authenticated;
    return start_session();
  }
  // The client has auth_timeout to send {"type":"auth","payload":{"token":...}} (seed 001).
  auth_deadline_ = gateway_.worker().now() + ms(cfg.auth_timeout);
  if (auth_deadline_ == 0) auth_deadline_ = 1;
}

// ---------------------------------------------------------------------------------------
// Authentication

void Session::authenticate(std::string token, std::string ref) {
  auth::Authenticator* authenticator = gateway_.node().authenticator();
  if (authenticator == nullptr) {
    return on_authenticated(
        auth::AuthResult::fail(auth::AuthError::unsupported_algorithm,
                               "no authentication is configured (set jwt_secret, "
                               "jwt_public_key_file or auth_service_url)"),
        ref);
  }
  if (auth_state_ != AuthState::authenticated) auth_state_ = AuthState::authenticating;
  auth_in_flight_ = true;  // one at a time: each may be an outbound request
  // The authenticator may answer later (auth service): hold the session weakly.
  std::weak_ptr<Session> weak = weak_from_this();
  auth::AuthRequest request{.token = token,
                            .remote_address = info_.remote_address,
                            .transport = protocol_.transport(),
                            .headers = {}};
  if (auth_headers_) request.headers = *auth_headers_;
  authenticator->authenticate_request(
      request, gateway_.worker().io(),
      [weak, ref = std::move(ref)](auth::AuthResult result) {
        if (auto self = weak.lock(); self && !self->closed_) {
          self->on_authenticated(std::move(result), ref);
        }
      });
}

void Session::send_auth_error(std::string_view code, std::string_view message,
                              std::string_view ref) {
  std::string payload;
  protocol::JsonObject p(payload);
  p.string("code", code).string("message", message);
  if (!ref.empty()) p.string("ref", ref);
  p.close();
  send({.type = "auth.error", .payload = payload, .reply_to = ref});
}

void Session::on_authenticated(auth::AuthResult result, const std::string& ref) {
  auto& counters = gateway_.counters();
  // An identity that has already expired (an auth service's or a host's expires_at in the
  // past) is refused as an expired JWT is, not admitted until the next sweep.
  if (result.identity && result.identity->expires_at &&
      *result.identity->expires_at <= std::chrono::system_clock::now()) {
    result = auth::AuthResult::fail(auth::AuthError::expired, "the identity's expiry has passed");
  }
  if (!result.identity) {
    auth_in_flight_ = false;
    counters.auth_failure_total[static_cast<std::size_t>(result.error) % 16].add();
    send_auth_error(auth::to_string(result.error), result.message, ref);
    if (auth_state_ == AuthState::authenticated) {
      // A failed refresh keeps the session on its current token, but is a client mistake
      // like any other: repeated ones close the connection.
      return violation(close_code::kPolicyViolation);
    }
    auth_state_ = AuthState::failed;
    return close(close_code::kAuthFailed, "authentication failed");
  }
  auth::Identity& identity = *result.identity;
  const bool first = auth_state_ != AuthState::authenticated;
  if (!first) {
    auth_in_flight_ = false;
    // A refresh: same user only; it extends the expiry and replaces the channel grants.
    if (identity.user_id != info_.user_id) {
      send_error(error_code::kUserMismatch, "a refreshed token must name the same user", ref);
      return close(close_code::kAuthFailed, "user mismatch");
    }
    return accept_identity(std::move(identity), false, ref);
  }
  if (identity.user_id.empty()) {
    auth_in_flight_ = false;
    return accept_identity(std::move(identity), true, ref);
  }
  join_own_room(std::move(identity), ref);
}

void Session::join_own_room(auth::Identity identity, const std::string& ref) {
  // Every device of a user joins the user's own channel: send-to-user is a publish there. It
  // is joined, and confirmed by the broker, before the connection is admitted: from the moment
  // the registry lists the connection, send-to-user publishes instead of keeping the message
  // offline, so the broker must by then deliver the room here (on Redis a SUBSCRIBE still in
  // flight would lose it). Commands wait meanwhile, as for the rest of the authentication.
  info_.user_id = identity.user_id;
  admission_ = std::make_unique<Admission>(Admission{std::move(identity), ref, {}});
  const std::string room = "user:" + info_.user_id;
  PendingSubscribe joined;
  joined.own_room = true;
  joined.entries.push_back({room, room, subscribe_one(room), false, std::nullopt});
  in_flight().pending_subscribes.push_back(std::move(joined));
  answer_ready_subscribes();
}

void Session::admit() {
  // Over max_connections_per_user (on every node together) the connection is refused before it
  // is told it succeeded. The registry answers later, on any thread: the authentication stays
  // in flight until then.
  std::weak_ptr<Session> weak = weak_from_this();
  net::Worker& worker = gateway_.worker();
  Node& node = gateway_.node();
  node.admit_connection(
      info_.user_id, info_.session_id,
      [weak, &worker, &node, user = info_.user_id, session_id = info_.session_id](bool admitted) {
        worker.post([weak, &node, user, session_id, admitted]() mutable {
          auto self = weak.lock();
          if (!self || self->closed_) {
            // Gone while the registry answered: its connection is not held.
            if (admitted) node.connection_closed(user, session_id);
            return;
          }
          self->on_admitted(admitted);
        });
      });
}

void Session::on_admitted(bool admitted) {
  auth_in_flight_ = false;
  if (!admitted) {
    send_auth_error(auth_error_code::kTooManyConnections, "this user has too many connections",
                    admission_->ref);
    auth_state_ = AuthState::failed;
    admission_.reset();
    return close(close_code::kTooManyConnections, "too many connections");
  }
  counted_user_ = true;
  const std::string ref = std::move(admission_->ref);
  accept_identity(std::move(admission_->identity), true, ref);  // start_session reads the rest
  admission_.reset();
}

void Session::accept_identity(auth::Identity identity, bool first, std::string_view ref) {
  if (first) info_.user_id = std::move(identity.user_id);
  channel_patterns_ = std::move(identity.channels);
  expires_at_s_ = identity.expires_at
                      ? std::chrono::duration_cast<std::chrono::seconds>(
                            identity.expires_at->time_since_epoch())
                            .count()
                      : 0;
  auth_state_ = AuthState::authenticated;
  auth_deadline_ = 0;
  gateway_.counters().auth_success_total.add();
  std::string payload;
  protocol::JsonObject(payload)
      .string("user_id", info_.user_id)
      .string("session_id", info_.session_id)
      .close();
  send({.type = "auth.success", .payload = payload, .reply_to = ref});
  if (first) {
    start_session();
    // What the client sent while the authentication was in flight, in order.
    std::vector<std::string> held;
    if (in_flight_) held.swap(in_flight_->held_before_auth);
    for (const auto& text : held) {
      if (closed_) return;
      handle_text(text, false);
    }
    return;
  }
  revoke_lost_channels();
}

void Session::start_session() {
  Node& node = gateway_.node();
  gateway_.counters().sessions.add();
  if (std::string started; protocol_.encode_started(started, info_), !started.empty()) {
    transport_.send_text(started);
  }
  if (!info_.user_id.empty()) {
    // The user's room, joined and confirmed before the admission: its live stream opens now,
    // after auth.success, and the messages kept while the user was offline follow.
    const std::string room = "user:" + info_.user_id;
    if (ChannelState* own = find_channel(room)) {
      open_live(*own);
      if (!closed_ && find_channel(room) != nullptr) take_offline();
    } else if (admission_ && admission_->room_refused) {
      tell_broker_refused(room, admission_->room_refused, {});
    }
  }
  next_presence_refresh_ = gateway_.worker().now();
  if (const auto& hook = node.connect_hook()) hook(info_);
}

void Session::take_offline() {
  Node& node = gateway_.node();
  std::weak_ptr<Session> weak = weak_from_this();
  net::Worker& worker = gateway_.worker();
  node.engine().offline->take(info_.user_id, [weak, &node, &worker, user = info_.user_id](
                                                 std::error_code ec,
                                                 std::vector<engine::PublicationPtr> kept) {
    // A failed take forgot nothing: the messages wait for a later connection.
    if (ec) return node.engine_failed(EngineOp::offline, ec);
    if (kept.empty()) return;
    worker.post([weak, &node, user, kept = std::move(kept)]() mutable {
      auto self = weak.lock();
      // Gone before they could be sent: they wait for the next connection again.
      if (!self || self->closed_) return node.keep_offline(user, std::move(kept));
      for (const auto& publication : kept) self->deliver(node.frame(publication));
    });
  });
}

// ---------------------------------------------------------------------------------------
// Dispatch

void Session::on_text(std::string_view text) {
  gateway_.counters().client_messages_total.add();
  handle_text(text, true);
}

void Session::handle_text(std::string_view text, bool may_hold) {
  const Decoded parsed = protocol_.decode(text);
  switch (parsed.kind) {
    case Decoded::Kind::command: break;
    case Decoded::Kind::ignored: return;
    case Decoded::Kind::leave: return close(close_code::kClientLeft, "client disconnected");
    case Decoded::Kind::malformed:
      send_error(parsed.error_code, parsed.detail, {});
      return violation(close_code::kPolicyViolation);
  }
  // A client that sent its token at upgrade may speak at once, while the first
  // authentication still waits for its answer (the auth service, the connection registry):
  // its requests wait too, in order, and are handled once it is authenticated (dropped with
  // the connection when it is refused). Pings are answered and a second auth refused at once,
  // as always. A bounded few: more is a client not waiting at all.
  const std::string_view type = parsed.envelope.type;
  if (may_hold && auth_in_flight_ && auth_state_ != AuthState::authenticated && type != "ping" &&
      type != "auth") {
    if (in_flight().held_before_auth.size() >= kMaxHeldBeforeAuth) {
      send_error(error_code::kAuthInProgress, "too many messages before authentication completed",
                 {});
      return violation(close_code::kPolicyViolation);
    }
    in_flight().held_before_auth.emplace_back(text);
    return;
  }
  dispatch(parsed.envelope);
}

void Session::on_binary(std::string_view) {
  send_error(error_code::kUnsupported,
             "binary messages are not part of the protocol; send JSON text", {});
  violation(close_code::kPolicyViolation);
}

void Session::dispatch(const protocol::Envelope& e) {
  const std::string_view type = e.type;
  const std::string_view ref = e.id.empty() ? e.type : e.id;
  // Acks are never refused: they only free memory, each costs at most a walk of
  // max_pending_acks entries, and refusing one would make the server resend its message.
  // Everything else, auth and ping included, takes from the rate limits.
  if (type == "ack" && auth_state_ == AuthState::authenticated) return handle_ack(e);
  // Pings have a small budget of their own, so that a client over its message rate keeps
  // its heartbeat (and a flood of pings is still cut off).
  if (type == "ping") {
    return rate_limited(ref, ping_bucket_, kPingLimit, false) ? void() : handle_ping(e);
  }
  if (rate_limited(ref, bucket_, connection_limit(), true)) return;
  if (type == "auth") return handle_auth(e);
  if (auth_state_ != AuthState::authenticated) {
    send_error(error_code::kNotAuthenticated, "send an auth message first", ref);
    return violation(close_code::kPolicyViolation);
  }
  if (type == "subscribe") return handle_subscribe(e);
  if (type == "unsubscribe") return handle_unsubscribe(e);
  if (type == "publish") return handle_publish(e);
  if (type == "typing") return handle_typing(e);
  if (type == "presence") return handle_presence(e);
  if (type == "history") return handle_history(e);
  handle_custom(e);
}

void Session::handle_ping(const protocol::Envelope& e) {
  std::string payload;
  protocol::JsonObject(payload).number("timestamp", static_cast<std::uint64_t>(unix_millis())).close();
  send({.type = "pong", .payload = payload, .id = e.id, .reply_to = e.id});
}

void Session::handle_custom(const protocol::Envelope& e) {
  Node& node = gateway_.node();
  const ClientEvent event{e.type, e.id, e.payload};
  if (const EventHandler* handler = node.handler(e.type)) {
    gateway_.dispatching_id = e.id;
    (*handler)(*this, event);
    gateway_.dispatching_id = {};
    return;
  }
  if (!node.upstream().enabled()) {
    send_error(error_code::kUnknownType, "no handler for this event type",
               e.id.empty() ? e.type : e.id);
    return violation(close_code::kPolicyViolation);
  }
  if (!node.upstream().push(event, info_)) {
    gateway_.counters().upstream_rejected_total.add();
    send_error(error_code::kBufferFull, "the upstream event buffer is full; retry later",
               e.id.empty() ? e.type : e.id);
  }
}

// ---------------------------------------------------------------------------------------
// Output

void Session::send(const Outgoing& message) {
  if (closed_) return;
  std::string out;
  protocol_.encode(out, message);
  if (!out.empty()) transport_.send_text(out);
}

void Session::send_error(std::string_view code, std::string_view message, std::string_view ref) {
  std::string payload;
  protocol::JsonObject p(payload);
  p.string("code", code).string("message", message);
  if (!ref.empty()) p.string("ref", ref);
  p.close();
  gateway_.counters().client_errors_total.add();
  send_error_payload(payload, ref);
}

void Session::send_error_payload(std::string_view payload, std::string_view ref) {
  if (closed_) return;
  std::string out;
  protocol_.encode_error(out, payload, ref);
  if (!out.empty()) transport_.send_text(out);
}

void Session::violation(std::uint16_t close_code) {
  if (++violations_ < gateway_.node().config().max_violations) return;
  close(close_code, close_code == close_code::kRateLimited ? "rate limit exceeded"
                                                           : "too many invalid messages");
}

engine::RateLimit Session::connection_limit() const {
  const auto& cfg = gateway_.node().config();
  return {static_cast<double>(cfg.client_rate), static_cast<double>(cfg.client_burst)};
}

bool Session::rate_limited(std::string_view ref, engine::TokenBucket& bucket,
                           const engine::RateLimit& limit, bool per_user) {
  const auto& cfg = gateway_.node().config();
  const auto now = std::chrono::steady_clock::now();
  engine::RateDecision decision = bucket.take(limit, now);
  if (decision.allowed && per_user && !info_.user_id.empty()) {
    const engine::RateLimit user_limit{static_cast<double>(cfg.user_rate),
                                       static_cast<double>(cfg.user_burst)};
    decision = gateway_.node().engine().rate_limiter->take("user:" + info_.user_id, user_limit);
  }
  if (decision.allowed) return false;
  gateway_.counters().rate_limited_total.add();
  std::string payload;
  protocol::JsonObject(payload)
      .string("code", error_code::kRateLimited)
      .string("message", "too many messages; slow down")
      .string("ref", ref)
      .number("retry_after_ms", static_cast<std::uint64_t>(decision.retry_after.count()))
      .close();
  send_error_payload(payload, ref);
  violation(close_code::kRateLimited);
  return true;
}

void Session::later(const std::weak_ptr<Session>& weak, net::Worker& worker,
                    std::function<void(Session&)> fn) {
  worker.post([weak, fn = std::move(fn)] {
    if (auto self = weak.lock(); self && !self->closed_) fn(*self);
  });
}

// Client interface (event handlers)
void Session::reply(std::string_view type, std::string_view payload_json) {
  send({.type = type, .payload = payload_json, .reply_to = gateway_.dispatching_id});
}

void Session::error(std::string_view code, std::string_view message) {
  send_error(code, message, {});
}

void Session::close(std::uint16_t code, std::string_view reason) {
  if (closed_) return;
  transport_.close(code, reason);  // calls back on_closed through the endpoint
}

// ---------------------------------------------------------------------------------------
// Lifecycle

void Session::on_closed(std::uint16_t code) {
  if (closed_) return;
  closed_ = true;
  Node& node = gateway_.node();
  // Acknowledged messages this connection never confirmed wait for the user's next one.
  if (auto unacknowledged = take_unacknowledged(); !unacknowledged.empty()) {
    gateway_.counters().acks_requeued_total.add(unacknowledged.size());
    node.keep_offline(info_.user_id, std::move(unacknowledged));
  }
  while (!subscriptions_.empty()) unsubscribe_one(subscriptions_.size() - 1);
  in_flight_.reset();
  if (auth_state_ == AuthState::authenticated) {
    gateway_.counters().sessions.sub();
    if (counted_user_) node.connection_closed(info_.user_id, info_.session_id);
    if (const auto& hook = node.disconnect_hook()) hook(info_, code);
  }
}

void Session::on_sweep(std::uint32_t now) {
  if (closed_) return;
  const auto& cfg = gateway_.node().config();
  if (auth_deadline_ != 0 && static_cast<std::int32_t>(now - auth_deadline_) >= 0) {
    auth_deadline_ = 0;
    on_authenticated(auth::AuthResult::fail(auth::AuthError::missing_token,
                                            "no auth message within auth_timeout"),
                     {});
    return;
  }
  if (expires_at_s_ != 0 && unix_seconds() >= expires_at_s_) {
    send_error(error_code::kTokenExpired, "the token expired; reconnect with a fresh one", {});
    return close(close_code::kTokenExpired, "token expired");
  }
  if (acks_) retry_acks(now);
  if (in_flight_ && in_flight_->empty()) in_flight_.reset();
  if (auth_state_ == AuthState::authenticated &&
      static_cast<std::int32_t>(now - next_presence_refresh_) >= 0) {
    // Refresh this connection's presence well within its TTL.
    next_presence_refresh_ = now + ms(cfg.presence_ttl) / 3;
    auto& presence = *gateway_.node().engine().presence;
    for (const ChannelState& ch : subscriptions_) {
      if (!ch.presence_joined) continue;
      presence.add(ch.subscription.channel->name,
                   engine::PresenceEntry{info_.session_id, info_.user_id, gateway_.node().id()},
                   cfg.presence_ttl,
                   gateway_.node().count_failures<std::size_t>(EngineOp::presence));
    }
    if (!info_.user_id.empty()) {
      presence.touch_user(info_.user_id, cfg.presence_ttl,
                          gateway_.node().count_failures(EngineOp::presence));
    }
  }
}

void Session::handle_auth(const protocol::Envelope& e) {
  const std::string ref(e.id.empty() ? e.type : e.id);
  if (auth_in_flight_) {
    send_error(error_code::kAuthInProgress, "authentication is already in progress", ref);
    return violation(close_code::kPolicyViolation);
  }
  boost::json::error_code ec;
  std::string token;
  if (!e.payload.empty()) {
    const boost::json::value v = protocol::parse_json(e.payload, ec);
    if (!ec && v.is_object()) {
      if (const auto* t = v.as_object().if_contains("token"); t && t->is_string()) {
        token = std::string(t->as_string());
      }
    }
  }
  if (token.empty()) {
    if (auth_state_ == AuthState::authenticated) {
      send_error(error_code::kBadRequest, "auth needs payload.token", ref);
      return violation(close_code::kPolicyViolation);
    }
    return on_authenticated(auth::AuthResult::fail(auth::AuthError::missing_token,
                                                   "auth needs payload.token"),
                            ref);
  }
  authenticate(std::move(token), ref);
}

}  // namespace switchboard::node
