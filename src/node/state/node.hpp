#pragma once
// The node: the gateway's state and routing on one process. It owns the engine, the
// authenticator and the handlers, routes publications from ingress (server API, client
// publish, library calls) through history and the broker to its workers, and keeps the little
// node-wide state there is (which channels the broker must deliver here, connections per user
// and per IP, presence join/leave debouncing). Per-connection and per-channel delivery state
// lives in the workers (session/: WorkerGateway, Session, Hub), which the node reaches through
// WorkerSessions, and is never locked. The public Gateway (gateway.cpp) composes it with the
// sessions, the protocols' endpoints and the server API.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "switchboard/auth/authenticator.hpp"
#include "switchboard/config/config.hpp"
#include "switchboard/config/rate_limited_log.hpp"
#include "switchboard/engine/engine.hpp"
#include "switchboard/gateway.hpp"
#include "switchboard/net/server.hpp"
#include "memory_trimmer.hpp"
#include "presence_announcer.hpp"
#include "snapshots.hpp"
#include "switchboard/ws/frame_builder.hpp"
#include "webhook_client.hpp"
#include "worker_sessions.hpp"

namespace switchboard::node {

class Upstream;

// A publication framed once for every connection: what workers receive.
struct Delivery {
  engine::PublicationPtr publication;
  ws::OutboundMessage message;
  std::uint32_t epoch_hash = 0;  // of publication->epoch, computed once for every recipient
  // An acknowledged publication's number on this node, unique among its deliveries: what
  // protocols whose acks are numbered (Socket.IO) acknowledge it by. 0: no ack requested.
  std::uint64_t ack_number = 0;
};
using DeliveryPtr = std::shared_ptr<const Delivery>;

// The engine calls whose failures the node counts (switchboard_gateway_engine_errors_total).
// `subscribe`: a broker subscribe or unsubscribe call; `snapshot`: a snapshot store write or a
// joiner's read.
enum class EngineOp : std::uint8_t {
  publish,
  history_read,
  presence,
  registry,
  offline,
  subscribe,
  snapshot
};
inline constexpr std::size_t kEngineOps = 7;
const char* to_string(EngineOp op) noexcept;

// What deliveries carry to compare epochs without comparing strings (Delivery::epoch_hash).
inline std::uint32_t epoch_hash(std::string_view epoch) noexcept {
  return static_cast<std::uint32_t>(std::hash<std::string_view>{}(epoch));
}

// A publication of `message` on `channel`.
engine::Publication make_publication(std::string channel, Message message);

// What became of a send_to_user() or broadcast(): published through the broker, kept in the
// offline store, or neither because an earlier publish with its idempotency key won.
enum class SendOutcome : std::uint8_t { published, kept_offline, duplicate };

// The channel every node subscribes to for broadcasts to everyone.
inline constexpr std::string_view kBroadcastChannel = "$broadcast";
// The channel of control messages one node addresses to another (publish_to_node): never a
// client's; the type says what to do ("disconnect").
inline constexpr std::string_view kControlChannel = "$control";

class Node final : public engine::BrokerHandler {
 public:
  Node(net::Server& server, engine::Engine engine);
  ~Node() override;

  const config::Config& config() const noexcept { return server_.config(); }
  net::Server& server() noexcept { return server_; }
  const net::Server& server() const noexcept { return server_; }
  engine::Engine& engine() noexcept { return engine_; }
  const std::string& id() const noexcept { return id_; }

  // --- Set-up (before start) ------------------------------------------------------------
  void set_authenticator(std::unique_ptr<auth::Authenticator> authenticator);
  auth::Authenticator* authenticator() noexcept { return authenticator_.get(); }
  void on(std::string type, EventHandler handler);
  const EventHandler* handler(std::string_view type) const noexcept;
  void on_connect(ConnectHook hook) { connect_hook_ = std::move(hook); }
  void on_disconnect(DisconnectHook hook) { disconnect_hook_ = std::move(hook); }
  const ConnectHook& connect_hook() const noexcept { return connect_hook_; }
  const DisconnectHook& disconnect_hook() const noexcept { return disconnect_hook_; }
  // The sessions of worker `worker`, where the node posts its deliveries (set-up).
  void register_sessions(unsigned worker, WorkerSessions* sessions);
  Upstream& upstream() noexcept { return *upstream_; }
  // Every call-out's pool limits (callout_max_connections, callout_max_queued).
  CalloutLimits callout_limits() const;
  // Where the configured auth-service authenticator counts refused call-outs (for /metrics).
  const std::shared_ptr<CalloutStats>& auth_callout_stats() const noexcept {
    return auth_callout_stats_;
  }
  Snapshots& snapshots() noexcept { return snapshots_; }
  void start();  // broker, housekeeping thread
  void stop();  // once; later calls return at once

  // --- Ingress (any thread) -------------------------------------------------------------
  // Stores in history (unless ephemeral or history is off), then publishes through the broker.
  // `done` (optional) gets the stored publication (offset filled) or an error.
  void publish(engine::Publication publication,
               std::function<void(std::error_code, engine::PublicationPtr)> done = {});
  // send-to-user: a publication on the user's channel `user:<id>` (set here), which the nodes
  // with the user's connections subscribe to; with requires_ack and no connection anywhere (by
  // the registry), kept in the offline store for the user's next connection instead.
  // An idempotency key (Broker contract) holds on both paths, across nodes: the offline path
  // first claims the key with a publish without history on the user's channel (it reaches a
  // node the user connected to meanwhile, as any publish would) and keeps the message only if
  // that publish was not a duplicate; a claim that fails (broker down) keeps nothing.
  // `done` (optional): the error, else what became of it (SendOutcome; unspecified with an
  // error).
  void send_to_user(std::string user_id, engine::Publication publication,
                    std::function<void(std::error_code, SendOutcome)> done = {});
  // The same with a Message (no key): `delivered_now` = published to the user's channel.
  void send_to_user(std::string user_id, Message message,
                    std::function<void(std::error_code, bool delivered_now)> done = {});
  // To every connection on every node: `publication` on kBroadcastChannel (set here),
  // ephemeral. `done` (optional) once the broker took it (`published` or `duplicate`), or with
  // the error.
  void broadcast(engine::Publication publication,
                 std::function<void(std::error_code, SendOutcome)> done = {});
  void broadcast(Message message, engine::Completion done = {});
  // Puts acknowledged messages in `user_id`'s offline store, in order, for their next
  // connection (`done`, optional, after the last, with the last push's error). What the
  // store's bound drops, and what a failing store could not keep, is counted.
  void keep_offline(const std::string& user_id, std::vector<engine::PublicationPtr> kept,
                    engine::Completion done = {});
  // Counts and logs a failed engine call (any thread).
  void engine_failed(EngineOp op, std::error_code ec);
  // A completion for calls nobody waits on (presence entries, registry leases): a failure is
  // counted and logged, and the next refresh tries again. `Value`: what the call answers
  // (ignored).
  template <class... Value>
  std::function<void(std::error_code, Value...)> count_failures(EngineOp op) {
    return [this, op](std::error_code ec, Value...) {
      if (ec) engine_failed(op, ec);
    };
  }
  std::uint64_t engine_errors_total(EngineOp op) const noexcept {
    return engine_errors_[static_cast<std::size_t>(op)].load();
  }
  std::uint64_t offline_dropped_total() const noexcept { return offline_dropped_.load(); }
  std::uint64_t registry_refreshes_total() const noexcept { return registry_refreshes_.load(); }
  // Heap trims after connection bursts (memory_trimmer.hpp), and the RSS they gave back.
  std::uint64_t memory_trims_total() const noexcept { return memory_trims_.load(); }
  std::uint64_t memory_trimmed_bytes_total() const noexcept { return memory_trimmed_bytes_.load(); }
  // Publications the broker delivered: for channels (false) or addressed to this node (true).
  std::uint64_t broker_received_total(bool to_node) const noexcept {
    return (to_node ? node_messages_received_ : publications_received_).load();
  }
  // Closes every connection of `user_id` with `code`: on this node's workers, and on every
  // other node the registry lists for the user (a control message through the broker).
  void disconnect_user(const std::string& user_id, std::uint16_t code, const std::string& reason);

  // --- Worker-side bookkeeping (any worker thread) ---------------------------------------
  // A session on `worker` subscribed to `channel`; `first_on_worker`: the worker had no
  // local subscriber to it before. The broker is asked to deliver the channel here while some
  // worker has subscribers. True when the broker has confirmed this node's subscription
  // (deliveries have started); `done` is then not called. Otherwise `done` runs later on
  // `worker`, once the broker answered: an empty error_code when subscribed, else why not (the
  // failure is counted; the next subscriber asks the broker again). Never calls `done` before
  // returning.
  bool when_subscribed(const std::string& channel, bool first_on_worker, net::Worker& worker,
                       std::function<void(std::error_code)> done);
  // The worker's last local subscriber to `channel` left.
  void channel_idle_on_worker(const std::string& channel);
  // Admits connection `connection_id` of `user_id` under max_connections_per_user, counted
  // across the cluster: the registry adds its lease in one atomic step unless the user holds
  // that many live connections on all nodes together (a user at the limit on this node alone
  // is refused without asking). `done(admitted)` runs once, on any thread, maybe before this
  // returns. When the registry cannot be asked the connection is admitted within this node's
  // own count (the failure counted; its lease is written by the next refresh). An admitted
  // connection is refreshed in the registry until connection_closed().
  void admit_connection(const std::string& user_id, const std::string& connection_id,
                        std::function<void(bool admitted)> done);
  void connection_closed(const std::string& user_id, const std::string& connection_id);
  bool ip_connected(const std::string& ip);
  void ip_disconnected(const std::string& ip);
  std::size_t user_count() const;  // users with admitted connections on this node
  // How many users have admitted connections on this node, how many connections those are
  // (native and Socket.IO, any transport), and the first `limit` of their ids in
  // user_id_order.hpp's order: the JSON statistics, bounded so that a node with 100k users
  // does not build a megabyte per scrape.
  struct UserSample {
    std::size_t total = 0;
    std::size_t connections = 0;
    std::vector<std::string> ids;
  };
  UserSample user_sample(std::size_t limit) const;
  std::vector<std::string> active_channels() const;  // channels with subscribers on this node
  std::size_t user_connection_count(const std::string& user_id) const;  // on this node
  // Presence: a session's entry in `channel` is added to (removed from) the presence store,
  // and presence.join (presence.leave, debounced) announced when the store's answer says it
  // was the user's first (last) anywhere (presence_announcer.hpp). A failure is counted and
  // announces nothing: an entry not added is by the session's next refresh (silently), one not
  // removed expires after presence_ttl.
  void presence_add(const std::string& channel, engine::PresenceEntry entry);
  void presence_remove(const std::string& channel, const std::string& user_id,
                       const std::string& client_id);
  // Ephemeral event (typing, presence) to a channel's subscribers, not to `from_user`.
  void emit(const std::string& channel, std::string type, std::string payload,
            const std::string& from_user);

  // BrokerHandler
  void on_publication(const engine::PublicationPtr& publication) override;
  // Framed here, then one post per worker carrying them all.
  void on_publications(std::span<const engine::PublicationPtr> batch) override;
  void on_node_message(const engine::PublicationPtr& publication) override;
  // Every session subscribed to the channel here recovers what it missed (on its worker).
  void on_subscription_restored(std::string_view channel) override;

  // Builds the client frame for a publication once (with the worker-independent deflater of
  // the calling thread).
  DeliveryPtr frame(const engine::PublicationPtr& publication) const;

  boost::asio::io_context& housekeeping() noexcept { return housekeeping_; }

 private:
  void fan_out(const DeliveryPtr& delivery);
  // This node's part of disconnect_user().
  void disconnect_local(const std::string& user_id, std::uint16_t code, const std::string& reason);
  void on_control(const engine::Publication& control);
  // send_to_user()'s acknowledged message for a user connected nowhere: into the offline
  // store; with an idempotency key only once a publish on the user's channel claimed it.
  void keep_for_next_connection(const std::string& user_id, engine::Publication publication,
                                std::function<void(std::error_code, SendOutcome)> done);
  // The broker subscription of one channel (node.cpp, "Broker subscriptions", says how it
  // moves). Guarded by mutex_.
  struct BrokerSubscription {
    int workers = 0;          // workers with local subscribers: wanted while > 0
    bool subscribed = false;  // the broker's last answer
    bool in_flight = false;   // a subscribe or unsubscribe has not been answered yet
    bool failed = false;      // the last subscribe failed: not retried until asked again
    struct Waiter {
      net::Worker* worker;
      std::function<void(std::error_code)> done;
    };
    std::vector<Waiter> waiters;  // for the subscribe in flight or due
  };
  enum class BrokerCall : std::uint8_t { none, subscribe, unsubscribe };
  // Under mutex_: the call that brings the broker to what the workers want, if one is due
  // (none while another is in flight); forgets a channel nobody wants any more.
  BrokerCall next_broker_call_locked(
      std::unordered_map<std::string, BrokerSubscription>::iterator it);
  void make_broker_call(const std::string& channel, BrokerCall call);  // without mutex_
  void broker_answered(const std::string& channel, BrokerCall call, std::error_code ec);
  // On the housekeeping thread, every second: the snapshot states that waited for
  // snapshot_interval are written, and every third of registry_ttl (by the engine's clock) the
  // registry entries of this node's users refreshed.
  void tick();
  void trim_memory_after_bursts();  // housekeeping thread, every tick
  void refresh_registry();
  // The broadcast channel, every node's: subscribed at start and, until that succeeds, again
  // by every tick.
  void subscribe_broadcasts();
  // The registry lease of this node's connection `connection_id` of `user_id`.
  engine::ConnectionLease lease(const std::string& connection_id) const {
    return {id_, connection_id};
  }
  engine::HistoryOptions history_options(std::string_view channel) const;

  net::Server& server_;
  engine::Engine engine_;
  std::string id_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unordered_map<std::string, EventHandler> handlers_;
  ConnectHook connect_hook_;
  DisconnectHook disconnect_hook_;
  std::vector<WorkerSessions*> sessions_;  // by worker index; fixed after set-up
  // Runs `fn(sessions)` on every worker that has sessions, on that worker.
  // (Defined, and used, in node.cpp only.)
  template <class Fn>
  void on_every_worker(const Fn& fn);
  std::unique_ptr<Upstream> upstream_;
  std::shared_ptr<CalloutStats> auth_callout_stats_ = std::make_shared<CalloutStats>();
  Snapshots snapshots_;
  std::atomic<std::uint64_t> offline_dropped_{0};
  std::atomic<std::uint64_t> registry_refreshes_{0};
  std::atomic<bool> broadcasts_subscribed_{false};
  std::atomic<bool> broadcasts_pending_{false};
  std::atomic<std::uint64_t> publications_received_{0};
  std::atomic<std::uint64_t> node_messages_received_{0};
  std::array<std::atomic<std::uint64_t>, kEngineOps> engine_errors_{};
  std::array<config::RateLimitedLog, kEngineOps> engine_error_logs_;  // engine_failed()'s lines

  mutable std::mutex mutex_;  // guards the maps below (never held on the per-message path)
  std::unordered_map<std::string, BrokerSubscription> broker_subscriptions_;
  // A user's connections on this node: the admitted ones, whose leases refresh_registry()
  // refreshes, and those waiting for the registry's answer.
  struct UserConnections {
    std::vector<std::string> admitted;
    std::size_t admitting = 0;
  };
  std::unordered_map<std::string, UserConnections> user_connections_;
  std::atomic<bool> stopped_{false};
  std::unordered_map<std::string, std::size_t> ip_connections_;

  boost::asio::io_context housekeeping_{1};
  boost::asio::steady_timer tick_timer_{housekeeping_};
  engine::TimePoint next_registry_refresh_{};  // housekeeping thread only
  MemoryTrimmer memory_trimmer_;               // housekeeping thread only
  std::atomic<std::uint64_t> memory_trims_{0};
  std::atomic<std::uint64_t> memory_trimmed_bytes_{0};
  // After housekeeping_, which its timers run on: destroyed before it.
  PresenceAnnouncer presence_announcer_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread housekeeping_thread_;
};

}  // namespace switchboard::node
