#include "node.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <algorithm>
#include <optional>
#include <random>
#include <stdexcept>

#include "switchboard/net/worker.hpp"
#include "switchboard/protocol/json_writer.hpp"
#include "switchboard/ws/deflate.hpp"
#include "upstream.hpp"
#include "user_id_order.hpp"

namespace switchboard::node {

template <class Fn>
void Node::on_every_worker(const Fn& fn) {
  for (std::size_t i = 0; i < sessions_.size(); ++i) {
    WorkerSessions* sessions = sessions_[i];
    if (sessions == nullptr) continue;
    server_.worker(i).post([sessions, fn] { fn(*sessions); });
  }
}

namespace {

std::string make_node_id() {
  char host[64] = {};
  ::gethostname(host, sizeof host - 1);
  std::mt19937 rng{std::random_device{}()};
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(rng()));
  return std::string(host) + "-" + suffix;
}

// The engine's snapshot store; an Engine assembled by hand (the library's constructor) may
// predate it, and without one every node would keep snapshots of its own.
engine::SnapshotStore& snapshot_store(const engine::Engine& engine) {
  if (!engine.snapshots) throw std::invalid_argument("the engine has no snapshot store");
  return *engine.snapshots;
}

std::string random_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

}  // namespace

engine::Publication make_publication(std::string channel, Message message) {
  engine::Publication publication;
  publication.channel = std::move(channel);
  publication.type = std::move(message.type);
  publication.payload = std::move(message.payload);
  publication.id = std::move(message.id);
  publication.requires_ack = message.requires_ack;
  return publication;
}

Node::Node(net::Server& server, engine::Engine engine)
    : server_(server),
      engine_(std::move(engine)),
      id_(server.config().node_id.empty() ? make_node_id() : server.config().node_id),
      upstream_(std::make_unique<Upstream>(*this)),
      snapshots_(server.config().snapshot_types, server.config().snapshot_interval,
                 [&config = server.config()](std::string_view channel) {
                   return config.snapshot_ttl_for(channel);
                 },
                 snapshot_store(engine_), engine_.now,
                 [this](std::error_code ec) { engine_failed(EngineOp::snapshot, ec); }),
      memory_trimmer_(MemoryTrimmer::Options{server.config().memory_trim_after,
                                             std::chrono::milliseconds(1000)}),
      presence_announcer_(
          housekeeping_, server.config().presence_leave_delay,
          [this](const std::string& channel, const std::string& user,
                 std::function<void(std::optional<bool>)> answer) {
            engine_.presence->members(
                channel, [this, user, answer = std::move(answer)](
                             std::error_code ec, std::vector<engine::PresenceEntry> members) {
                  if (ec) {
                    engine_failed(EngineOp::presence, ec);
                    return answer(std::nullopt);
                  }
                  answer(std::any_of(members.begin(), members.end(),
                                     [&](const auto& m) { return m.user_id == user; }));
                });
          },
          [this](const std::string& channel, const std::string& user, bool joined) {
            std::string payload;
            protocol::JsonObject(payload).string("channel", channel).string("user_id", user).close();
            emit(channel, joined ? "presence.join" : "presence.leave", std::move(payload), user);
          }) {
  sessions_.resize(server.worker_count(), nullptr);
}

Node::~Node() {
  stop();
  // The upstream buffer's timers and transport run on housekeeping_, which is declared (and
  // so destroyed) after upstream_: destroyed first, while their io_context still exists.
  upstream_.reset();
}

CalloutLimits Node::callout_limits() const {
  CalloutLimits limits;
  limits.max_connections = config().callout_max_connections;
  limits.max_queued = config().callout_max_queued;
  return limits;
}

void Node::set_authenticator(std::unique_ptr<auth::Authenticator> authenticator) {
  authenticator_ = std::move(authenticator);
}

void Node::on(std::string type, EventHandler handler) {
  handlers_[std::move(type)] = std::move(handler);
}

const EventHandler* Node::handler(std::string_view type) const noexcept {
  auto it = handlers_.find(std::string(type));
  return it == handlers_.end() ? nullptr : &it->second;
}

void Node::register_sessions(unsigned worker, WorkerSessions* sessions) {
  sessions_[worker] = sessions;
}

void Node::start() {
  // Connecting is asynchronous: with its servers down the node starts, serves HTTP, and /ready
  // says 503 until they answer.
  if (engine_.backend) engine_.backend->start();
  engine_.broker->start(id_, *this);
  subscribe_broadcasts();
  work_ = std::make_unique<
      boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
      housekeeping_.get_executor());
  upstream_->start();
  next_registry_refresh_ = engine_.now() + config().registry_ttl / 3;
  tick();
  housekeeping_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sb-housekeeping");  // for top -H, perf, chrt
    housekeeping_.run();
  });
}

void Node::tick() {
  // Once a second: the snapshot flush is cheap (a walk of the channels set within the last
  // snapshot_interval), and a second is nothing against a registry TTL of three.
  tick_timer_.expires_after(std::chrono::seconds(1));
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    snapshots_.flush();
    // A broker that was unreachable at start (or refused) is asked again every second.
    if (!broadcasts_subscribed_.load() && !broadcasts_pending_.load()) subscribe_broadcasts();
    // The engine's clock, not the timer's: registry entries expire by it.
    if (const auto now = engine_.now(); now >= next_registry_refresh_) {
      next_registry_refresh_ = now + config().registry_ttl / 3;
      refresh_registry();
    }
    trim_memory_after_bursts();
    tick();
  });
}

void Node::trim_memory_after_bursts() {
  std::uint64_t accepted = 0;
  for (std::size_t i = 0; i < server_.worker_count(); ++i) {
    accepted += server_.worker(i).counters().accepted_total.value() +
                server_.worker(i).counters().adopted_total.value();
  }
  if (!memory_trimmer_.due(accepted, server_.ws_connections(), MemoryTrimmer::Clock::now())) {
    return;
  }
  const TrimResult r = trim_memory();
  memory_trims_.fetch_add(1, std::memory_order_relaxed);
  const std::uint64_t freed = r.rss_before > r.rss_after ? r.rss_before - r.rss_after : 0;
  memory_trimmed_bytes_.fetch_add(freed, std::memory_order_relaxed);
  spdlog::debug("memory: trimmed the heap after a burst of connections: RSS {} -> {} KiB",
                r.rss_before / 1024, r.rss_after / 1024);
}

void Node::subscribe_broadcasts() {
  broadcasts_pending_ = true;
  engine_.broker->subscribe(kBroadcastChannel, [this](std::error_code ec) {
    if (ec) {
      engine_failed(EngineOp::subscribe, ec);
      spdlog::error("broker: cannot subscribe to broadcasts ({}): trying again", ec.message());
    }
    broadcasts_subscribed_ = !ec;
    broadcasts_pending_ = false;
  });
}

void Node::refresh_registry() {
  std::vector<std::string> users;
  {
    std::lock_guard lock(mutex_);
    users.reserve(user_connections_.size());
    for (const auto& [user, connections] : user_connections_) users.push_back(user);
  }
  // Each user's leases under mutex_, as connection_closed() removes one: a refresh cannot
  // write back a lease removed before it (the registry applies calls in the order a lock gives
  // them). Without a limit: these connections were admitted, and a lease the registry lost
  // (a Redis restart) is written again.
  std::size_t refreshed = 0;
  for (const auto& user : users) {
    std::lock_guard lock(mutex_);
    const auto it = user_connections_.find(user);
    if (it == user_connections_.end() || it->second.admitted.empty()) continue;
    for (const auto& connection : it->second.admitted) {
      // Its completion takes no lock (the memory registry runs it here, under mutex_).
      engine_.registry->add_connection(user, lease(connection), config().registry_ttl,
                                       engine::kNoConnectionLimit,
                                       count_failures<engine::Admission>(EngineOp::registry));
    }
    ++refreshed;
  }
  registry_refreshes_ += refreshed;
}

void Node::stop() {
  if (stopped_.exchange(true)) return;  // Gateway::wait, then the destructor
  if (housekeeping_thread_.joinable()) {
    boost::asio::post(housekeeping_, [this] {
      tick_timer_.cancel();
      upstream_->stop();
      presence_announcer_.stop();
    });
    work_.reset();
    housekeeping_thread_.join();
  }
  // Last: the housekeeping thread's final calls have been made (their completions fail).
  if (engine_.backend) engine_.backend->stop();
}

// ---------------------------------------------------------------------------------------
// Ingress

engine::HistoryOptions Node::history_options(std::string_view channel) const {
  return engine::HistoryOptions{config().history_size_for(channel),
                                config().history_ttl_for(channel)};
}

void Node::publish(engine::Publication publication,
                   std::function<void(std::error_code, engine::PublicationPtr)> done) {
  if (publication.requires_ack && publication.id.empty()) publication.id = random_id();
  snapshots_.observe(publication);
  // One engine call stores (unless ephemeral or history is off) and publishes: the engine
  // keeps a channel's deliveries in offset order on every node (sessions rely on it to drop
  // what a replay already sent).
  engine::HistoryOptions history = history_options(publication.channel);
  if (publication.ephemeral) history.size = 0;
  engine_.broker->publish(std::move(publication), history,
                          [this, done](std::error_code ec, engine::PublicationPtr stored) {
                            if (ec) engine_failed(EngineOp::publish, ec);
                            if (done) done(ec, std::move(stored));
                          });
}

namespace {

SendOutcome outcome_of(const engine::PublicationPtr& published) {
  return published && published->duplicate ? SendOutcome::duplicate : SendOutcome::published;
}

}  // namespace

void Node::send_to_user(std::string user_id, Message message,
                        std::function<void(std::error_code, bool)> done) {
  send_to_user(std::move(user_id), make_publication({}, std::move(message)),
               [done = std::move(done)](std::error_code ec, SendOutcome outcome) {
                 if (done) done(ec, !ec && outcome != SendOutcome::kept_offline);
               });
}

void Node::send_to_user(std::string user_id, engine::Publication publication,
                        std::function<void(std::error_code, SendOutcome)> done) {
  publication.channel = "user:" + user_id;
  auto published = [done](std::error_code ec, engine::PublicationPtr p) {
    if (done) done(ec, outcome_of(p));
  };
  if (!publication.requires_ack) return publish(std::move(publication), std::move(published));
  if (publication.id.empty()) publication.id = random_id();
  // An acknowledged message for a user connected nowhere waits for their next connection.
  engine_.registry->nodes_of(
      user_id,
      [this, user_id, publication = std::move(publication), done, published = std::move(published)](
          std::error_code ec, std::vector<std::string> nodes) mutable {
        if (ec) {
          // Where the user is connected is unknown: neither sent nor kept (the caller is told).
          engine_failed(EngineOp::registry, ec);
          if (done) done(ec, SendOutcome::published);
          return;
        }
        if (!nodes.empty()) return publish(std::move(publication), std::move(published));
        keep_for_next_connection(user_id, std::move(publication), std::move(done));
      });
}

void Node::keep_for_next_connection(const std::string& user_id, engine::Publication publication,
                                    std::function<void(std::error_code, SendOutcome)> done) {
  auto keep = [this, user_id, done](engine::PublicationPtr p) {
    keep_offline(user_id, {std::move(p)}, [done](std::error_code e) {
      if (done) done(e, SendOutcome::kept_offline);
    });
  };
  if (!publication.deduplicated()) {
    return keep(std::make_shared<const engine::Publication>(std::move(publication)));
  }
  // The key is claimed where another node, finding the user connected, publishes the same
  // message: on the user's channel, without history (the offline store keeps it).
  engine::HistoryOptions claim = history_options(publication.channel);
  claim.size = 0;
  engine_.broker->publish(std::move(publication), claim,
                          [this, done, keep](std::error_code ec, engine::PublicationPtr p) {
                            if (ec) {
                              engine_failed(EngineOp::publish, ec);
                              if (done) done(ec, SendOutcome::kept_offline);
                            } else if (p->duplicate) {
                              if (done) done({}, SendOutcome::duplicate);
                            } else {
                              keep(std::move(p));
                            }
                          });
}

void Node::keep_offline(const std::string& user_id, std::vector<engine::PublicationPtr> kept,
                        engine::Completion done) {
  const engine::OfflineLimits limits{config().offline_max_messages, config().offline_ttl};
  if (kept.empty() && done) done({});
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const bool last = i + 1 == kept.size();
    engine_.offline->push(
        user_id, std::move(kept[i]), limits,
        [this, user_id, done = last ? done : engine::Completion()](std::error_code ec,
                                                                   std::size_t dropped) {
          if (ec) {
            // Not kept: lost, and counted as such (the store was unreachable).
            engine_failed(EngineOp::offline, ec);
            offline_dropped_ += 1;
          } else if (dropped > 0) {
            offline_dropped_ += dropped;
            spdlog::warn("offline store: {} oldest message(s) for user {} dropped", dropped,
                         user_id);
          }
          if (done) done(ec);
        });
  }
}

void Node::engine_failed(EngineOp op, std::error_code ec) {
  const auto index = static_cast<std::size_t>(op);
  ++engine_errors_[index];
  // While a backend is down every session's calls fail at once: one line per operation and
  // second (with the count since the last line) instead of thousands; the metric counts all.
  if (const std::uint64_t n = engine_error_logs_[index].occurred()) {
    spdlog::warn("engine: {} failed: {} ({} failure(s) since the last report)", to_string(op),
                 ec.message(), n);
  }
}

const char* to_string(EngineOp op) noexcept {
  switch (op) {
    case EngineOp::publish: return "publish";
    case EngineOp::history_read: return "history_read";
    case EngineOp::presence: return "presence";
    case EngineOp::registry: return "registry";
    case EngineOp::offline: return "offline";
    case EngineOp::subscribe: return "subscribe";
    case EngineOp::snapshot: return "snapshot";
  }
  return "unknown";
}

void Node::broadcast(Message message, engine::Completion done) {
  broadcast(make_publication({}, std::move(message)),
            [done = std::move(done)](std::error_code ec, SendOutcome) {
              if (done) done(ec);
            });
}

void Node::broadcast(engine::Publication publication,
                     std::function<void(std::error_code, SendOutcome)> done) {
  publication.channel = kBroadcastChannel;
  publication.ephemeral = true;
  publish(std::move(publication),
          [done = std::move(done)](std::error_code ec, engine::PublicationPtr p) {
            if (done) done(ec, outcome_of(p));
          });
}

void Node::emit(const std::string& channel, std::string type, std::string payload,
                const std::string& from_user) {
  engine::Publication publication;
  publication.channel = channel;
  publication.type = std::move(type);
  publication.payload = std::move(payload);
  publication.publisher_user = from_user;
  publication.skip_publisher = true;
  publication.ephemeral = true;
  publish(std::move(publication));
}

void Node::disconnect_user(const std::string& user_id, std::uint16_t code,
                           const std::string& reason) {
  disconnect_local(user_id, code, reason);
  // The user's connections on other nodes: where the registry says they are.
  engine_.registry->nodes_of(user_id, [this, user_id, code, reason](
                                          std::error_code ec, std::vector<std::string> nodes) {
    if (ec) return engine_failed(EngineOp::registry, ec);
    for (const auto& node : nodes) {
      if (node == id_) continue;
      auto control = std::make_shared<engine::Publication>();
      control->channel = kControlChannel;
      control->type = "disconnect";
      protocol::JsonObject(control->payload)
          .string("user_id", user_id)
          .number("code", code)
          .string("reason", reason)
          .close();
      control->ephemeral = true;
      engine_.broker->publish_to_node(node, control, [this, node](std::error_code e) {
        // unknown_node: that node is gone, and its connections with it.
        if (e && e != engine::EngineErrc::unknown_node) engine_failed(EngineOp::publish, e);
      });
    }
  });
}

void Node::disconnect_local(const std::string& user_id, std::uint16_t code,
                            const std::string& reason) {
  on_every_worker([user_id, code, reason](WorkerSessions& sessions) {
    sessions.disconnect_user(user_id, code, reason);
  });
}

// ---------------------------------------------------------------------------------------
// Delivery: frame once here, then one post per worker.

void Node::on_publication(const engine::PublicationPtr& publication) {
  publications_received_.fetch_add(1, std::memory_order_relaxed);
  fan_out(frame(publication));
}

void Node::on_publications(std::span<const engine::PublicationPtr> batch) {
  if (batch.size() == 1) return on_publication(batch.front());
  publications_received_.fetch_add(batch.size(), std::memory_order_relaxed);
  auto deliveries = std::make_shared<std::vector<DeliveryPtr>>();
  deliveries->reserve(batch.size());
  for (const engine::PublicationPtr& p : batch) deliveries->push_back(frame(p));
  on_every_worker([deliveries](WorkerSessions& sessions) {
    for (const DeliveryPtr& d : *deliveries) sessions.deliver(d);
  });
}

void Node::on_node_message(const engine::PublicationPtr& publication) {
  node_messages_received_.fetch_add(1, std::memory_order_relaxed);
  if (publication->channel == kControlChannel) return on_control(*publication);
  fan_out(frame(publication));
}

void Node::on_control(const engine::Publication& control) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(control.payload, ec);
  const boost::json::object* o = ec ? nullptr : v.if_object();
  if (control.type == "disconnect" && o != nullptr) {
    const auto* user = o->if_contains("user_id");
    const auto* code = o->if_contains("code");
    const auto* reason = o->if_contains("reason");
    if (user && user->is_string() && code && code->is_int64() && reason && reason->is_string()) {
      return disconnect_local(std::string(user->as_string()),
                              static_cast<std::uint16_t>(code->as_int64()),
                              std::string(reason->as_string()));
    }
  }
  spdlog::warn("broker: control message {} not understood: {}", control.type, control.payload);
}

void Node::on_subscription_restored(std::string_view channel) {
  // Broadcasts keep no history: there is nothing to recover.
  if (channel == kBroadcastChannel) return;
  spdlog::info("broker: subscription to {} restored; its subscribers recover from history",
               channel);
  on_every_worker([name = std::string(channel)](WorkerSessions& sessions) {
    sessions.subscription_restored(name);
  });
}

DeliveryPtr Node::frame(const engine::PublicationPtr& publication) const {
  const engine::Publication& p = *publication;
  std::string json;
  if (!p.raw) {
    json.reserve(p.type.size() + p.channel.size() + p.payload.size() + 96);
    protocol::JsonObject o(json);
    o.string("type", p.type);
    if (p.channel != kBroadcastChannel) o.string("channel", p.channel);
    if (p.offset != 0) o.number("offset", p.offset).string("epoch", p.epoch);
    if (!p.id.empty()) o.string("id", p.id);
    // Who published, when a client did (typing and presence events name their user in the
    // payload instead, and are the server's own).
    if (!p.publisher_user.empty() && !p.skip_publisher) o.string("publisher", p.publisher_user);
    if (p.requires_ack) o.boolean("requires_ack", true);
    o.raw("payload", p.payload);
    o.close();
  }
  // A raw publication's payload is the frame (Publication::raw).
  const std::string_view text = p.raw ? std::string_view(p.payload) : std::string_view(json);
  // One deflater per thread: frames are built on whichever thread the broker delivers on.
  thread_local std::unique_ptr<ws::Deflater> deflater;
  if (config().deflate && !deflater) deflater = std::make_unique<ws::Deflater>();
  auto delivery = std::make_shared<Delivery>();
  delivery->publication = publication;
  delivery->epoch_hash = epoch_hash(p.epoch);
  if (p.requires_ack) {
    static std::atomic<std::uint64_t> last_ack_number{0};
    delivery->ack_number = last_ack_number.fetch_add(1, std::memory_order_relaxed) + 1;
  }
  delivery->message = ws::build_message(ws::Opcode::text, text,
                                        config().deflate ? deflater.get() : nullptr,
                                        config().deflate_min_size);
  return delivery;
}

void Node::fan_out(const DeliveryPtr& delivery) {
  on_every_worker([delivery](WorkerSessions& sessions) { sessions.deliver(delivery); });
}

// ---------------------------------------------------------------------------------------
// Broker subscriptions
//
// One small state machine per channel. The broker is asked to deliver a channel here while
// some worker has local subscribers (`workers` > 0) and told to stop once none has. Its
// answers may come later and from another thread, and a remote broker may apply two calls in
// flight in either order (an unsubscribe overtaking the resubscribe right after it would leave
// the node deaf): so at most one call per channel is in flight, and when it is answered the
// next one is chosen from the state at that moment, the latest wish. Sessions that need the
// subscription (the history read of a replay must come after it, or an event published in
// between falls through) wait in `waiters` and hear the answer on their worker.
//
//   workers > 0, not subscribed ──subscribe──▶ answered ok: subscribed, waiters told ok
//                                              failed: `failed`, waiters told why (they drop
//                                              the channel); asked again by the next waiter
//   workers == 0, subscribed ──unsubscribe──▶ not subscribed; forgotten once nobody waits

Node::BrokerCall Node::next_broker_call_locked(
    std::unordered_map<std::string, BrokerSubscription>::iterator it) {
  BrokerSubscription& s = it->second;
  if (s.in_flight) return BrokerCall::none;  // decided again when it is answered
  const bool wanted = s.workers > 0;
  if (wanted && !s.subscribed && !s.failed) {
    s.in_flight = true;
    return BrokerCall::subscribe;
  }
  if (!wanted && s.subscribed) {
    s.in_flight = true;
    return BrokerCall::unsubscribe;
  }
  // Whoever still waits left the channel (no worker has a subscriber): nobody to tell.
  if (!wanted) broker_subscriptions_.erase(it);
  return BrokerCall::none;
}

void Node::make_broker_call(const std::string& channel, BrokerCall call) {
  // Never under mutex_: the memory broker answers before returning, and the answer takes it.
  if (call == BrokerCall::subscribe) {
    engine_.broker->subscribe(channel, [this, channel](std::error_code ec) {
      broker_answered(channel, BrokerCall::subscribe, ec);
    });
  } else if (call == BrokerCall::unsubscribe) {
    engine_.broker->unsubscribe(channel, [this, channel](std::error_code ec) {
      broker_answered(channel, BrokerCall::unsubscribe, ec);
    });
  }
}

void Node::broker_answered(const std::string& channel, BrokerCall call, std::error_code ec) {
  // Limited like every engine failure: at stop, or while Redis is down, every channel's call
  // fails at once.
  if (ec) engine_failed(EngineOp::subscribe, ec);
  std::vector<BrokerSubscription::Waiter> waiters;
  BrokerCall next = BrokerCall::none;
  {
    std::lock_guard lock(mutex_);
    auto it = broker_subscriptions_.find(channel);
    if (it == broker_subscriptions_.end()) return;  // cannot happen: in flight keeps it
    BrokerSubscription& s = it->second;
    s.in_flight = false;
    if (call == BrokerCall::subscribe) {
      s.subscribed = !ec;
      s.failed = static_cast<bool>(ec);
      waiters.swap(s.waiters);
    } else {
      // A failed unsubscribe is taken as done: at worst the broker still delivers the channel
      // here, where no worker has a subscriber for it and it is dropped; the next subscribe
      // of a set is harmless. (The same holds for a subscribe that timed out and took effect
      // after all: nobody unsubscribes it once its waiters left.)
      s.subscribed = false;
    }
    next = next_broker_call_locked(it);
  }
  for (auto& waiter : waiters) {
    waiter.worker->post([done = std::move(waiter.done), ec] { done(ec); });
  }
  make_broker_call(channel, next);
}

void Node::channel_idle_on_worker(const std::string& channel) {
  BrokerCall call = BrokerCall::none;
  {
    std::lock_guard lock(mutex_);
    auto it = broker_subscriptions_.find(channel);
    if (it == broker_subscriptions_.end() || it->second.workers == 0) return;
    --it->second.workers;
    call = next_broker_call_locked(it);
  }
  make_broker_call(channel, call);
}

bool Node::when_subscribed(const std::string& channel, bool first_on_worker, net::Worker& worker,
                           std::function<void(std::error_code)> done) {
  BrokerCall call = BrokerCall::none;
  {
    std::lock_guard lock(mutex_);
    auto it = broker_subscriptions_.try_emplace(channel).first;
    BrokerSubscription& s = it->second;
    if (first_on_worker) ++s.workers;
    if (s.subscribed && !s.in_flight) return true;
    s.failed = false;  // a new subscriber after a failure: the broker is asked again
    s.waiters.push_back({&worker, std::move(done)});
    call = next_broker_call_locked(it);
  }
  make_broker_call(channel, call);
  return false;
}

// ---------------------------------------------------------------------------------------
// Node-wide bookkeeping

void Node::admit_connection(const std::string& user_id, const std::string& connection_id,
                            std::function<void(bool)> done) {
  const std::size_t limit = config().max_connections_per_user;
  bool full_here = false;
  {
    std::lock_guard lock(mutex_);
    UserConnections& here = user_connections_[user_id];
    // At the limit on this node (counting those being admitted): at the limit anywhere.
    full_here = here.admitted.size() + here.admitting >= limit;
    if (!full_here) {
      ++here.admitting;
    } else if (here.admitted.empty() && here.admitting == 0) {
      user_connections_.erase(user_id);
    }
  }
  if (full_here) return done(false);
  engine_.registry->add_connection(
      user_id, lease(connection_id), config().registry_ttl, limit,
      [this, user_id, connection_id, done = std::move(done)](std::error_code ec,
                                                             engine::Admission admission) {
        // An unreachable registry does not lock users out: the node's own count held.
        if (ec) engine_failed(EngineOp::registry, ec);
        const bool admitted = ec || admission.admitted;
        {
          std::lock_guard lock(mutex_);
          UserConnections& here = user_connections_[user_id];
          --here.admitting;
          if (admitted) {
            here.admitted.push_back(connection_id);
          } else if (here.admitted.empty() && here.admitting == 0) {
            user_connections_.erase(user_id);
          }
        }
        done(admitted);
      });
}

void Node::connection_closed(const std::string& user_id, const std::string& connection_id) {
  std::lock_guard lock(mutex_);
  const auto it = user_connections_.find(user_id);
  if (it == user_connections_.end()) return;
  auto& admitted = it->second.admitted;
  const auto pos = std::find(admitted.begin(), admitted.end(), connection_id);
  if (pos == admitted.end()) return;
  admitted.erase(pos);
  if (admitted.empty() && it->second.admitting == 0) user_connections_.erase(it);
  // Under mutex_ (see refresh_registry); the completion takes no lock. On failure the lease
  // expires at registry_ttl.
  engine_.registry->remove_connection(user_id, lease(connection_id),
                                      count_failures(EngineOp::registry));
}

bool Node::ip_connected(const std::string& ip) {
  if (ip.empty()) return true;
  std::lock_guard lock(mutex_);
  std::size_t& count = ip_connections_[ip];
  if (count >= config().max_connections_per_ip) return false;
  ++count;
  return true;
}

void Node::ip_disconnected(const std::string& ip) {
  if (ip.empty()) return;
  std::lock_guard lock(mutex_);
  auto it = ip_connections_.find(ip);
  if (it != ip_connections_.end() && --it->second == 0) ip_connections_.erase(it);
}

std::size_t Node::user_count() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(
      std::count_if(user_connections_.begin(), user_connections_.end(),
                    [](const auto& user) { return !user.second.admitted.empty(); }));
}

Node::UserSample Node::user_sample(std::size_t limit) const {
  UserSample sample;
  // The `limit` first ids in user_id_less order, kept in a max-heap of that size: the same
  // users at every scrape, whatever the map's order, in O(users × log limit) under the lock.
  const auto less = [](const std::string* a, const std::string* b) { return user_id_less(*a, *b); };
  std::vector<const std::string*> heap;
  heap.reserve(limit);
  {
    std::lock_guard lock(mutex_);
    for (const auto& [user_id, connections] : user_connections_) {
      if (connections.admitted.empty()) continue;
      ++sample.total;
      sample.connections += connections.admitted.size();
      if (limit == 0) continue;
      if (heap.size() < limit) {
        heap.push_back(&user_id);
        std::push_heap(heap.begin(), heap.end(), less);
      } else if (less(&user_id, heap.front())) {
        std::pop_heap(heap.begin(), heap.end(), less);
        heap.back() = &user_id;
        std::push_heap(heap.begin(), heap.end(), less);
      }
    }
    std::sort_heap(heap.begin(), heap.end(), less);
    sample.ids.reserve(heap.size());
    for (const std::string* id : heap) sample.ids.push_back(*id);
  }
  return sample;
}

std::vector<std::string> Node::active_channels() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> names;
  names.reserve(broker_subscriptions_.size());
  for (const auto& [name, subscription] : broker_subscriptions_) {
    if (subscription.workers > 0) names.push_back(name);
  }
  return names;
}

std::size_t Node::user_connection_count(const std::string& user_id) const {
  std::lock_guard lock(mutex_);
  auto it = user_connections_.find(user_id);
  return it == user_connections_.end() ? 0 : it->second.admitted.size();
}

// Presence join/leave are per user and channel, for the whole cluster: the store's answers say
// whether an entry was the user's first or last anywhere, and the announcer debounces leaves
// (a page reload does not flap).
void Node::presence_add(const std::string& channel, engine::PresenceEntry entry) {
  std::string user = entry.user_id;
  engine_.presence->add(channel, std::move(entry), config().presence_ttl,
                        [this, channel, user = std::move(user)](std::error_code ec,
                                                                std::size_t others) {
                          if (ec) return engine_failed(EngineOp::presence, ec);
                          if (config().join_leave_events_for(channel)) {
                            presence_announcer_.added(channel, user, others);
                          }
                        });
}

void Node::presence_remove(const std::string& channel, const std::string& user_id,
                           const std::string& client_id) {
  // On failure the entry expires at presence_ttl, and no leave is announced.
  engine_.presence->remove(channel, client_id,
                           [this, channel, user_id](std::error_code ec, std::size_t remaining) {
                             if (ec) return engine_failed(EngineOp::presence, ec);
                             if (config().join_leave_events_for(channel)) {
                               presence_announcer_.removed(channel, user_id, remaining);
                             }
                           });
}

}  // namespace switchboard::node
