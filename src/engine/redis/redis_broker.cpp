// The Broker on Redis Pub/Sub. See redis_broker.hpp.
#include "redis_broker.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

#include "history_scripts.hpp"
#include "history_streams.hpp"
#include "io_call.hpp"
#include "node_lease.hpp"
#include "switchboard/engine/publication_codec.hpp"
#include "redis_subscriber.hpp"

namespace switchboard::engine::redis {

// What start() waits for when Redis is reachable; filled in on the I/O thread.
struct RedisBroker::Startup {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<NodeLease::Claim> claim;
  bool node_channel = false;  // confirmed by Redis
  std::size_t connected = 0;  // subscriber connections that came up

  template <class Change>
  void update(Change&& change) {
    std::lock_guard lock(mu);
    change();
    cv.notify_all();
  }
};

struct RedisBroker::State : std::enable_shared_from_this<State> {
  explicit State(RedisContext& c) : context(c), streams(c, HistoryOptions{}.ttl) {
    context.preload({once_script});
    for (std::size_t i = 0; i < c.shards(); ++i) {
      subscriber_counters.push_back(std::make_shared<SubscriberCounters>());
    }
  }

  RedisContext& context;
  HistoryStreams streams;  // publish with history
  RedisScript once_script{publish_once_script()};  // without history, with a key
  RedisBrokerStats stats;
  // One per shard, for the subscriber made there by begin(); fixed from construction on.
  std::vector<std::shared_ptr<SubscriberCounters>> subscriber_counters;
  std::atomic<bool> began{false};  // begin() ran: the subscribers exist (read by health)

  // --- I/O thread only --------------------------------------------------------------------
  // Null before start(), when the id was taken, and after shutdown(): calls fail with
  // not_started, deliveries are dropped.
  BrokerHandler* handler = nullptr;
  bool closed = false;
  std::string node_id;
  std::string node_channel;    // P n:<id>
  std::string channel_prefix;  // P c:
  std::size_t node_shard = 0;
  bool node_channel_wanted = false;  // once the id is ours (or could not be checked)
  std::vector<std::unique_ptr<RedisSubscriber>> subscribers;  // one per shard
  std::vector<bool> seen_connected;
  std::shared_ptr<NodeLease> lease;
  std::shared_ptr<Startup> startup;  // null when start() does not wait

  void begin(std::string id, BrokerHandler& h, std::shared_ptr<Startup> waiting);
  void on_claim(NodeLease::Claim claim);
  void on_subscriber_state(std::size_t shard, RedisState state);
  void subscribe_node_channel();
  void subscription(const std::string& channel, bool subscribe, Completion done);
  void publish_raw(std::string_view shard_name, const std::string& pubsub_channel,
                   const std::string& payload,
                   std::function<void(std::error_code, std::int64_t receivers)> done);
  // A publish without history whose idempotency key makes it happen once (history_scripts.hpp).
  void publish_once(const std::string& pubsub_channel, std::string payload,
                    std::shared_ptr<Publication> p, ResultCallback<PublicationPtr> done);
  void on_message(std::string_view pubsub_channel, std::string_view payload);
  // Publications decoded in one I/O turn (one read may bring dozens) go to the handler
  // together once the turn's other handlers ran: the workers then write each connection
  // its share in one sendmsg instead of one per publication.
  std::vector<PublicationPtr> received;
  bool received_flush_posted = false;
  void hand_over_received();
  // Channels resubscribed whose restore the handler has not heard yet, with what arrived for
  // them meanwhile: held until it has. Delivered first, those events would move the node's
  // idea of where its subscribers stand past the gap, and the recovery would miss it.
  std::unordered_map<std::string, std::vector<PublicationPtr>> restoring;
  void on_resubscribed(std::string_view pubsub_channel);
  void shutdown();
};

void RedisBroker::State::begin(std::string id, BrokerHandler& h, std::shared_ptr<Startup> waiting) {
  handler = &h;
  node_id = std::move(id);
  node_channel = context.key("n", node_id);
  channel_prefix = context.key("c", "");
  node_shard = context.shard_for(node_id);
  startup = std::move(waiting);
  seen_connected.assign(context.shards(), false);
  // The subscribers live on the context's executor: they must close when it stops, or its
  // thread would never run out of work.
  context.on_stop([weak = weak_from_this()] {
    if (auto self = weak.lock()) self->shutdown();
  });
  for (std::size_t i = 0; i < context.shards(); ++i) {
    auto sub = std::make_unique<RedisSubscriber>(context.executor(), context.connection_options(i),
                                                 subscriber_counters[i]);
    // `this`: the subscribers are ours, and shutdown() closes them before the state goes.
    sub->on_message(
        [this](std::string_view ch, std::string_view payload) { on_message(ch, payload); });
    sub->on_resubscribed([this](std::string_view name, bool) { on_resubscribed(name); });
    sub->on_state_change([this, i](RedisState s) { on_subscriber_state(i, s); });
    subscribers.push_back(std::move(sub));
  }
  for (auto& sub : subscribers) sub->start();
  began = true;
  lease = std::make_shared<NodeLease>(context, node_id, stats.node_id_conflicts);
  if (!startup) {
    // Redis is not reachable: the id cannot be checked now; the lease refresh will report a
    // conflict if another node holds it.
    on_claim(NodeLease::Claim::failed);
    return;
  }
  lease->claim([weak = weak_from_this()](NodeLease::Claim claim) {
    if (auto self = weak.lock()) self->on_claim(claim);
  });
}

void RedisBroker::State::on_claim(NodeLease::Claim claim) {
  if (closed) return;
  if (claim == NodeLease::Claim::taken) {
    handler = nullptr;  // start() throws; the node channel stays the other node's
  } else {
    node_channel_wanted = true;
    subscribe_node_channel();
    lease->keep();
  }
  if (startup) startup->update([&] { startup->claim = claim; });
}

void RedisBroker::State::on_subscriber_state(std::size_t shard, RedisState state) {
  subscriber_counters[shard]->up.set(!closed && state == RedisState::connected ? 1 : 0);
  if (closed || state != RedisState::connected) return;
  if (!seen_connected[shard]) {
    seen_connected[shard] = true;
    if (startup) startup->update([&] { ++startup->connected; });
  }
  if (shard == node_shard) subscribe_node_channel();
}

// Called whenever it may succeed (the id is ours, the connection is up); subscriptions are a
// set, so a second call while one is pending or confirmed changes nothing. Once confirmed,
// the subscriber resubscribes it after every reconnect by itself.
void RedisBroker::State::subscribe_node_channel() {
  if (closed || !node_channel_wanted) return;
  RedisSubscriber& sub = *subscribers[node_shard];
  if (sub.connection().state() != RedisState::connected) return;  // again when it is
  sub.subscribe(node_channel, [weak = weak_from_this()](std::error_code ec) {
    auto self = weak.lock();
    if (!self || self->closed || ec) return;  // failed: the next connection tries again
    if (self->startup) self->startup->update([&] { self->startup->node_channel = true; });
  });
}

void RedisBroker::State::subscription(const std::string& channel, bool subscribe, Completion done) {
  if (handler == nullptr) return complete(done, EngineErrc::not_started);
  RedisSubscriber& sub = *subscribers[context.shard_for(channel)];
  auto complete = [ctx = &context, subscribe, done = std::move(done)](std::error_code ec) {
    if (done) done(ctx->engine_error(ec, RedisReply{}, subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE"));
  };
  const std::string name = context.key("c", channel);
  if (subscribe) {
    sub.subscribe(name, std::move(complete));
  } else {
    sub.unsubscribe(name, std::move(complete));
  }
}

void RedisBroker::State::publish_raw(
    std::string_view shard_name, const std::string& pubsub_channel, const std::string& payload,
    std::function<void(std::error_code, std::int64_t receivers)> done) {
  context.command(context.shard_for(shard_name), {"PUBLISH", pubsub_channel, payload},
                  [ctx = &context, done = std::move(done)](std::error_code ec, RedisReply reply) {
                    if (ec) return done(ctx->engine_error(ec, reply, "PUBLISH"), 0);
                    done({}, reply.integer);
                  });
}

void RedisBroker::State::publish_once(const std::string& pubsub_channel, std::string payload,
                                      std::shared_ptr<Publication> p,
                                      ResultCallback<PublicationPtr> done) {
  const std::string seen = seen_key(context, *p);
  const std::string now = context.now_ms_text();
  const std::string window = std::to_string(p->dedupe_window.count());
  const std::string window_gc_ttl = context.gc_ttl_text(p->dedupe_window);
  const std::string offset = std::to_string(p->offset);
  context.run_script(
      context.shard_for(p->channel), once_script, {seen},
      {now, pubsub_channel, payload, window, window_gc_ttl, offset, p->epoch},
      [ctx = &context, p, done = std::move(done)](std::error_code ec, RedisReply reply) mutable {
        if (!done) return;
        if (ec) return done(ctx->engine_error(ec, reply, "publish"), nullptr);
        if (!take_publish_reply(reply, *p)) {
          return done(EngineErrc::unavailable, nullptr);
        }
        done({}, std::move(p));
      });
}

void RedisBroker::State::on_message(std::string_view pubsub_channel, std::string_view payload) {
  if (handler == nullptr) return;
  auto decoded = decode_positioned(payload);
  if (!decoded) {
    const auto dropped = ++stats.undecodable;
    if (dropped == 1 || dropped % 1000 == 0) {
      spdlog::warn("redis broker: dropped an undecodable message on {} ({} so far)", pubsub_channel,
                   dropped);
    }
    return;
  }
  const PublicationPtr publication = std::make_shared<const Publication>(std::move(*decoded));
  if (pubsub_channel == node_channel) {
    hand_over_received();  // in order with the publications before it
    handler->on_node_message(publication);
    return;
  }
  if (!restoring.empty()) {
    if (auto it = restoring.find(publication->channel); it != restoring.end()) {
      it->second.push_back(publication);
      return;
    }
  }
  received.push_back(publication);
  if (received_flush_posted) return;
  received_flush_posted = true;
  boost::asio::post(context.executor(), [weak = weak_from_this()] {
    auto self = weak.lock();
    if (!self) return;
    self->received_flush_posted = false;
    self->hand_over_received();
  });
}

void RedisBroker::State::hand_over_received() {
  if (received.empty()) return;
  std::vector<PublicationPtr> batch;
  batch.swap(received);
  if (handler != nullptr) handler->on_publications(batch);
}

void RedisBroker::State::on_resubscribed(std::string_view pubsub_channel) {
  // The node channel has nothing to recover: node messages sent meanwhile are lost, and
  // their senders saw unknown_node while this node was not subscribed.
  if (handler == nullptr || !pubsub_channel.starts_with(channel_prefix)) return;
  hand_over_received();  // what arrived before the gap goes first
  // Reported once the channel's command connection is ready too: the node answers with
  // history reads, which would fail while the shard is still logging in.
  std::string channel(pubsub_channel.substr(channel_prefix.size()));
  const std::size_t shard = context.shard_for(channel);
  if (!restoring.try_emplace(channel).second) return;  // already waiting for the shard
  context.when_ready(shard, [weak = weak_from_this(), channel = std::move(channel)] {
    auto self = weak.lock();
    if (!self) return;
    auto held = self->restoring.extract(channel);
    if (self->handler == nullptr) return;
    ++self->stats.subscriptions_restored;
    self->handler->on_subscription_restored(channel);
    // After the restore: the node posts both to its workers in this order.
    if (held && !held.mapped().empty()) self->handler->on_publications(held.mapped());
  });
}

void RedisBroker::State::shutdown() {
  if (closed) return;
  closed = true;
  handler = nullptr;
  received.clear();
  restoring.clear();
  if (lease) lease->release();
  subscribers.clear();  // pending (un)subscribe completions run, posted, with shut_down
  startup.reset();
}

// --- The broker -------------------------------------------------------------------------

RedisBroker::RedisBroker(std::shared_ptr<RedisContext> context)
    : context_(std::move(context)), state_(std::make_shared<State>(*context_)) {}

RedisBroker::~RedisBroker() {
  std::promise<void> closed;
  auto future = closed.get_future();
  if (context_->post([state = state_, &closed] {
        state->shutdown();
        closed.set_value();
      })) {
    future.wait();
    return;
  }
  // The context stopped (its on_stop hook already closed what start() opened) and its thread
  // is gone: nothing else touches the state any more.
  state_->shutdown();
}

const SubscriberCounters& RedisBroker::subscriber_counters(std::size_t shard) const noexcept {
  return *state_->subscriber_counters[shard];
}

bool RedisBroker::subscriber_down(std::size_t shard) const noexcept {
  return state_->began.load() && state_->subscriber_counters[shard]->up.value() == 0;
}

const RedisBrokerStats& RedisBroker::stats() const noexcept {
  return state_->stats;
}

void RedisBroker::start(std::string node_id, BrokerHandler& handler) {
  if (started_.exchange(true)) throw std::logic_error("redis broker: started twice");
  RedisContext& context = *context_;
  // The node started the context just before: give it one connect to find Redis, so that the
  // id is checked whenever Redis is up (and a Redis that is down costs one refused connect).
  const bool reachable =
      context.wait_ready(context.options().connect_timeout + context.options().command_timeout);
  auto startup = reachable ? std::make_shared<Startup>() : nullptr;
  if (!context.post([state = state_, node_id, &handler, startup] {
        state->begin(node_id, handler, startup);
      })) {
    spdlog::warn("redis broker: started on a stopped engine: every call fails");
    return;
  }
  if (!startup) {
    spdlog::warn("redis broker: Redis not reachable at start; node id {} not checked", node_id);
    return;
  }
  // Bounded: a connect, the claim's reply and the node channel's confirmation.
  const auto& options = context.options();
  const auto deadline =
      std::chrono::steady_clock::now() + options.connect_timeout + 2 * options.command_timeout;
  std::unique_lock lock(startup->mu);
  const bool complete = startup->cv.wait_until(lock, deadline, [&] {
    return startup->claim == NodeLease::Claim::taken ||
           (startup->claim && startup->node_channel && startup->connected == context.shards());
  });
  if (startup->claim == NodeLease::Claim::taken) {
    throw std::invalid_argument("redis broker: node id already taken: " + node_id);
  }
  if (!complete) {
    spdlog::warn("redis broker: node {} started before Redis confirmed its subscriptions", node_id);
  }
}

void RedisBroker::subscribe(std::string_view channel, Completion done) {
  post_call(*context_, std::move(done),
            [state = state_, channel = std::string(channel)](Completion completion) {
              state->subscription(channel, true, std::move(completion));
            });
}

void RedisBroker::unsubscribe(std::string_view channel, Completion done) {
  post_call(*context_, std::move(done),
            [state = state_, channel = std::string(channel)](Completion completion) {
              state->subscription(channel, false, std::move(completion));
            });
}

void RedisBroker::publish(Publication publication, const HistoryOptions& history,
                          ResultCallback<PublicationPtr> done) {
  std::string pubsub_channel = context_->key("c", publication.channel);
  if (history.size > 0) {
    post_call(*context_, std::move(done),
              [state = state_, request = AppendRequest::make(std::move(publication), history,
                                                             std::move(pubsub_channel))](
                  ResultCallback<PublicationPtr> completion) mutable {
                if (state->handler == nullptr) return complete(completion, EngineErrc::not_started);
                state->streams.append(std::move(request), std::move(completion));
              });
    return;
  }
  // Without history: delivered as given (MemoryBroker's rule), offsets untouched.
  if (publication.deduplicated()) {
    auto p = std::make_shared<Publication>(std::move(publication));
    post_call(
        *context_, std::move(done),
        [state = state_, pubsub_channel = std::move(pubsub_channel),
         payload = encode_positioned(*p), p](ResultCallback<PublicationPtr> completion) mutable {
          if (state->handler == nullptr) return complete(completion, EngineErrc::not_started);
          state->publish_once(pubsub_channel, std::move(payload), std::move(p),
                              std::move(completion));
        });
    return;
  }
  auto p = std::make_shared<const Publication>(std::move(publication));
  post_call(
      *context_, std::move(done),
      [state = state_, pubsub_channel = std::move(pubsub_channel), payload = encode_positioned(*p),
       p](ResultCallback<PublicationPtr> completion) mutable {
        if (state->handler == nullptr) return complete(completion, EngineErrc::not_started);
        state->publish_raw(
            p->channel, pubsub_channel, payload,
            [p, completion = std::move(completion)](std::error_code ec, std::int64_t) {
              if (completion) completion(ec, ec ? nullptr : p);
            });
      });
}

void RedisBroker::publish_to_node(std::string_view node_id, const PublicationPtr& publication,
                                  Completion done) {
  post_call(
      *context_, std::move(done),
      [state = state_, node_id = std::string(node_id), pubsub_channel = context_->key("n", node_id),
       payload = encode_positioned(*publication)](Completion completion) mutable {
        if (state->handler == nullptr) return complete(completion, EngineErrc::not_started);
        state->publish_raw(
            node_id, pubsub_channel, payload,
            [completion = std::move(completion)](std::error_code ec, std::int64_t n) {
              if (!completion) return;
              if (!ec && n == 0) ec = EngineErrc::unknown_node;
              completion(ec);
            });
      });
}

}  // namespace switchboard::engine::redis
