#pragma once
// One client's session: the gateway's state machine (authentication, subscriptions, custom
// events, acknowledgements), driven by its worker's WorkerGateway. It speaks through a
// Protocol (how its messages look: the native envelope, Socket.IO) and a SessionTransport (what
// carries them: a WebSocket, an Engine.IO connection). A session is touched only on its
// worker's thread.
#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client_protocol.hpp"
#include "node.hpp"
#include "session_opening.hpp"
#include "session_transport.hpp"
#include "switchboard/auth/identity.hpp"
#include "switchboard/engine/rate_limiter.hpp"
#include "switchboard/gateway.hpp"
#include "switchboard/hub/hub.hpp"
#include "switchboard/protocol/envelope.hpp"

namespace switchboard::net {
class Worker;
}

namespace switchboard::node {

class WorkerGateway;
struct AckTracker;  // defined in session_delivery.cpp

// {"offset","epoch","recovered"}: a stream position as replies carry it.
void append_position(std::string& out, const engine::StreamPosition& position, bool recovered);

class Session : public hub::Subscriber,
                      public Client,
                      public std::enable_shared_from_this<Session> {
 public:
  enum class AuthState : std::uint8_t { pending, authenticating, authenticated, failed };

  // `transport` and `protocol` outlive the session.
  Session(WorkerGateway& gateway, SessionTransport& transport, Protocol& protocol,
          std::string session_id, std::string remote_address);
  ~Session() override;

  // --- Driven by its endpoint -------------------------------------------------------------
  // An identity in `opening` (the host application's, Gateway::adopt) is taken as an
  // authenticator's answer; otherwise the upgrade's token, an auth message or anonymity.
  void open(SessionOpening opening);
  void on_text(std::string_view text);
  void on_binary(std::string_view data);
  void on_closed(std::uint16_t code);  // the connection is closing: leave everything
  // `channel`: the hub channel the delivery came through (nullptr for broadcasts and
  // replays, which look the channel up by name).
  void deliver(const DeliveryPtr& delivery, const hub::Channel* channel = nullptr);
  void on_sweep(std::uint32_t now);
  // The broker had lost its subscription to `channel` and has it again: recover from history
  // what did not arrive meanwhile (or say not_recovered).
  void subscription_restored(const hub::Channel& channel);

  bool authenticated() const noexcept { return auth_state_ == AuthState::authenticated; }
  bool closed() const noexcept { return closed_; }
  const std::string& user_id() const noexcept { return info_.user_id; }
  std::size_t subscription_count() const noexcept { return subscriptions_.size(); }

  // hub::Subscriber
  hub::Subscription* find_subscription(const hub::Channel& channel) noexcept override;

  // Client (for event handlers)
  const SessionInfo& info() const noexcept override { return info_; }
  void reply(std::string_view type, std::string_view payload_json) override;
  void error(std::string_view code, std::string_view message) override;
  void close(std::uint16_t code, std::string_view reason) override;

 private:
  struct ChannelState {
    hub::Subscription subscription;
    std::uint64_t delivered_offset = 0;  // highest offset sent (drops duplicates after replay)
    std::uint32_t epoch_hash = 0;        // of the stream delivered_offset belongs to
    // Tells this subscription from an earlier one to the same channel (a broker answer meant
    // for that one is stale).
    std::uint32_t id = 0;
    bool presence_joined = false;
    bool confirmed = false;   // the broker confirmed the node's subscription
    // Live deliveries are buffered: until the subscribe is answered (the broker confirmed and
    // `subscribed` went out) and, with a replay, until the history arrived.
    bool recovering = false;
    // After a replay, live deliveries the replay already covered are dropped until the live
    // stream overtakes it; only then is the channel looked up per delivery at all.
    bool guarded = false;
    // The broker restored its subscription while this one was recovering: recover again
    // once that is done.
    bool restore_pending = false;
    std::string epoch;  // of the stream the last replay read (where a recovery starts from)
  };
  // A subscribe request, answered once the broker confirmed or refused each of its channels
  // (so that after `subscribed` no event is missed); then, per channel it added, the snapshot
  // and the replay. Answered in request order.
  struct PendingSubscribe {
    struct Entry {
      std::string channel;
      std::string as_given;  // as the client named it (a conversation id)
      std::uint32_t added = 0;  // the id of the subscription this request made; 0: held before
      bool replay = false;
      std::optional<engine::StreamPosition> since;
    };
    std::string id;                   // the request's, echoed
    std::string ref;                  // for errors about it
    const char* list_key = nullptr;   // "channels" or "conversation_ids"; null: {channel}
    bool own_room = false;  // the user's room, joined at authentication: the admission follows
    std::vector<Entry> entries;
  };

  // Dispatch
  void dispatch(const protocol::Envelope& envelope);
  void handle_auth(const protocol::Envelope& envelope);
  void handle_subscribe(const protocol::Envelope& envelope);
  void handle_unsubscribe(const protocol::Envelope& envelope);
  void handle_publish(const protocol::Envelope& envelope);
  void handle_typing(const protocol::Envelope& envelope);
  void handle_presence(const protocol::Envelope& envelope);
  void handle_history(const protocol::Envelope& envelope);
  void handle_ack(const protocol::Envelope& envelope);
  void handle_ping(const protocol::Envelope& envelope);
  void handle_custom(const protocol::Envelope& envelope);
  // The channel a presence/history request names, if this connection may read it; otherwise
  // answers the error (counted as a violation) and returns "".
  std::string readable_channel(const protocol::Envelope& envelope,
                               const boost::json::object* payload);

  // Authentication
  void authenticate(std::string token, std::string ref);
  void on_authenticated(auth::AuthResult result, const std::string& ref);
  // The first authentication's user joins its own room; once the broker answered for it, the
  // connection asks the node for admission (max_connections_per_user, the registry).
  void join_own_room(auth::Identity identity, const std::string& ref);
  void admit();
  // The node's answer to admitting the first authentication's user.
  void on_admitted(bool admitted);
  // Takes the identity (the first authentication or a refresh) and answers auth.success.
  void accept_identity(auth::Identity identity, bool first, std::string_view ref);
  void start_session();  // first successful authentication (or anonymous)
  void send_auth_error(std::string_view code, std::string_view message, std::string_view ref);
  // After a refresh: subscriptions the new token no longer permits end with `unsubscribed`
  // (reason permission_revoked).
  void revoke_lost_channels();

  // Channels
  bool may_subscribe(std::string_view channel) const;
  // Adds the subscription (its live deliveries buffered until it is opened) and asks for the
  // broker's confirmation; returns its id, or 0 when the channel was subscribed already.
  std::uint32_t subscribe_one(const std::string& channel);
  void unsubscribe_one(std::size_t index);
  // The broker answered for the subscription `id` to `channel` (posted by the node).
  void on_broker_answer(const std::string& channel, std::uint32_t id, std::error_code ec);
  // Sends the answers of the pending subscribe requests whose channels are all settled.
  void answer_ready_subscribes();
  void answer_subscribe(const PendingSubscribe& request);
  // `user:<this session's user>`.
  bool is_own_room(std::string_view channel) const noexcept {
    return channel.size() == info_.user_id.size() + 5 && channel.starts_with("user:") &&
           channel.ends_with(info_.user_id);
  }
  // The broker refused `channel`: the error (answering `ref`) and `unsubscribed`.
  void tell_broker_refused(const std::string& channel, std::error_code ec, const std::string& ref);
  // `unsubscribed` {channel, conversation_id?, reason} for a subscription the server ended.
  void send_unsubscribed(const std::string& channel, std::string_view reason);
  // The user's room is open: acknowledged messages kept while the user was offline follow.
  void take_offline();
  // The channel's snapshot for a subscribe just answered (read from the node's snapshots,
  // which may answer later), then — for the subscription `entry` added — its replay or its
  // live stream.
  void read_snapshot(const PendingSubscribe::Entry& entry, bool added_here, const std::string& ref);
  void send_snapshot(const PendingSubscribe::Entry& entry, bool added_here, const std::string& ref,
                     std::error_code ec, const std::optional<Snapshot>& snapshot);
  ChannelState* find_channel(std::string_view channel) noexcept;
  ChannelState* find_channel(const hub::Channel* channel) noexcept;
  // Ends a channel's post-replay filtering and lets the hub deliver to the connection directly.
  void unguard(ChannelState& ch) noexcept;
  // Deliveries go through the session again (buffered while recovering, filtered after).
  void guard(ChannelState& ch) noexcept;
  // A subscription without replay starts its live stream (what was buffered first).
  void open_live(ChannelState& ch);
  // Live deliveries resume after the buffering (a replay merged, or none): what was buffered
  // follows, then a recovery the broker asked for meanwhile.
  void resume_live(const std::string& channel);
  // Reads what the live stream lost since the last position delivered, as a replay does.
  void recover_lost(ChannelState& ch);
  void replay(const std::string& channel, const engine::StreamPosition* since, std::size_t limit);
  void send_history(const std::string& channel, const engine::HistoryResult& result);
  void bad_position(std::string_view ref);  // answers bad_request (a violation)
  // A replay whose history read failed: the client is told, live delivery resumes.
  void history_unavailable(const std::string& channel, std::error_code ec);
  void flush_buffered(const std::string& channel);  // live deliveries held during a replay

  // Runs `fn` on `worker`: at once when called there (the memory engine answers inline), else
  // posted (an engine answering from a thread of its own).
  static void on_worker(net::Worker& worker, std::function<void()> fn);

  // Output, through the protocol
  void send(const Outgoing& message);
  void send_error(std::string_view code, std::string_view message, std::string_view ref);
  // An error whose payload {"code","message","ref"?,...} is written already (not counted as
  // a client error: the caller says what it was).
  void send_error_payload(std::string_view payload, std::string_view ref);
  // Runs `fn` on the session from an engine callback that may run on another thread: posted to
  // the session's worker, dropped if the session is gone by then.
  static void later(const std::weak_ptr<Session>& weak, net::Worker& worker,
                    std::function<void(Session&)> fn);
  // Counts a client mistake; past max_violations the connection is closed with `close_code`.
  void violation(std::uint16_t close_code);
  // Takes one message from `bucket` (and, with `per_user`, from the user's shared bucket);
  // when refused, tells the client (rate_limited, retry_after_ms) and counts a violation.
  bool rate_limited(std::string_view ref, engine::TokenBucket& bucket,
                    const engine::RateLimit& limit, bool per_user);
  engine::RateLimit connection_limit() const;  // client_rate / client_burst
  // Pings: 5 at once, then one a second; far above any heartbeat, far below a flood.
  static constexpr engine::RateLimit kPingLimit{1, 5};

  // Acknowledged delivery
  void send_delivery(const DeliveryPtr& delivery);
  void track_ack(const DeliveryPtr& delivery);
  void retry_acks(std::uint32_t now);
  // Ends acknowledged delivery on this connection: the messages of the user's room still
  // unacknowledged, oldest first, for the offline store.
  std::vector<engine::PublicationPtr> take_unacknowledged();

  // What every delivery touches comes first (one cache line with the base classes).
  WorkerGateway& gateway_;
  SessionTransport& transport_;
  Protocol& protocol_;
  bool closed_ = false;
  std::uint16_t guarded_channels_ = 0;  // channels with `guarded` set
  SessionInfo info_;
  std::vector<std::string> channel_patterns_;  // from the token
  std::vector<ChannelState> subscriptions_;
  // What a session holds only while something is under way; an idle connection pays a null
  // pointer for it. Made on first use (in_flight()), released by the sweep once empty.
  struct InFlight {
    std::vector<PendingSubscribe> pending_subscribes;  // waiting for the broker, in order
    std::vector<DeliveryPtr> buffered;                 // live deliveries during recovery
    // Messages received while the first authentication was in flight (see on_text).
    std::vector<std::string> held_before_auth;
    bool empty() const noexcept {
      return pending_subscribes.empty() && buffered.empty() && held_before_auth.empty();
    }
  };
  std::unique_ptr<InFlight> in_flight_;
  InFlight& in_flight() {
    if (!in_flight_) in_flight_ = std::make_unique<InFlight>();
    return *in_flight_;
  }
  std::unique_ptr<AckTracker> acks_;           // null until an acknowledged message is sent
  engine::TokenBucket bucket_;
  engine::TokenBucket ping_bucket_;
  std::int64_t expires_at_s_ = 0;              // token expiry (unix seconds); 0: none
  // The small fields together (no padding between them).
  std::uint32_t last_subscription_id_ = 0;
  std::uint32_t auth_deadline_ = 0;            // worker ms; 0: none
  std::uint32_t next_presence_refresh_ = 0;
  std::uint16_t violations_ = 0;
  AuthState auth_state_ = AuthState::pending;
  bool counted_user_ = false;  // admitted: the node holds the connection in its user count
  bool auth_in_flight_ = false;  // an authenticate() call has not answered yet

 public:
  // Position in the worker gateway's session list (declared here: it packs with the above).
  std::uint32_t gateway_index = 0;

 private:
  // Parses and dispatches one client message; `may_hold`: held while the first
  // authentication is in flight (see handle_text).
  void handle_text(std::string_view text, bool may_hold);
  static constexpr std::size_t kMaxHeldBeforeAuth = 32;
  // The first authentication between its identity and its admission (join_own_room): heap
  // memory only for that moment.
  struct Admission {
    auth::Identity identity;
    std::string ref;
    std::error_code room_refused;  // the broker refused the user's room: told after auth.success
  };
  std::unique_ptr<Admission> admission_;
  // The upgrade's headers for the auth call-out (auth_service_headers); null unless configured.
  std::shared_ptr<const ForwardedHeaders> auth_headers_;
};

}  // namespace switchboard::node
