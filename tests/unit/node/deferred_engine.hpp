#pragma once
// An engine that answers later, on a thread of its own: any engine (the memory one, or the
// failing decorators of library_gateway_test.cpp) behind decorators that run every call on one
// engine thread after the caller returned, in call order, and complete it there — what a
// network backend does (docs/engine.md: "callbacks run exactly once, on any thread"). The
// broker's deliveries (on_publication, on_node_message) reach the node on that thread too,
// in publish order.
//
// The snapshot store's read answers can be held, and its reads and writes failed.
//
// The broker also does what a remote one may: hold its subscription calls until the test
// releases them (in order, or reversed: completions that overtake each other), fail
// subscribes, lose a channel's publications (a dropped Pub/Sub connection) and announce the
// subscription restored.
//
// Without a thread (null) the decorators pass every call straight through: make_memory_cluster
// uses them so, to give several in-process nodes one set of memory stores, answering inline.
//
// Thread safety: every method may be called from any thread. The test stops the engine
// thread (EngineThread::stop) after the gateway's workers stopped and before the gateway is
// destroyed: completions then no longer run while the node is being torn down.
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "switchboard/engine/engine.hpp"
#include "switchboard/engine/memory/memory_broker.hpp"
#include "switchboard/engine/memory/memory_node_registry.hpp"
#include "switchboard/engine/memory/memory_offline_store.hpp"
#include "switchboard/engine/memory/memory_presence.hpp"
#include "switchboard/engine/memory/memory_rate_limiter.hpp"
#include "switchboard/engine/memory/memory_snapshot_store.hpp"

namespace switchboard::testing {

// One thread running posted tasks in order.
class EngineThread {
 public:
  EngineThread() : thread_([this] { run(); }) {}
  ~EngineThread() { stop(); }
  EngineThread(const EngineThread&) = delete;
  EngineThread& operator=(const EngineThread&) = delete;

  void post(std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;  // the gateway is gone: nobody waits for this any more
      tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
  }
  // Runs what is queued (and what those tasks queue), then ends the thread; later posts are
  // dropped. Idempotent.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) break;  // stopping, and everything ran
      std::function<void()> task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      task = nullptr;  // its captures go here, not under the lock
      lock.lock();
    }
    stopped_ = true;
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread thread_;  // last: starts once the rest is built
};

using EngineThreadPtr = std::shared_ptr<EngineThread>;

// Runs `task` later on `thread`, or at once when there is none (the decorators then pass calls
// straight through, answering inline as the memory engine does).
inline void run_on(const EngineThreadPtr& thread, std::function<void()> task) {
  if (thread) return thread->post(std::move(task));
  task();
}

class DeferredBroker final : public engine::Broker, public engine::BrokerHandler {
 public:
  DeferredBroker(std::shared_ptr<engine::Broker> inner, EngineThreadPtr thread)
      : inner_(std::move(inner)), thread_(std::move(thread)) {}

  // --- What the test controls --------------------------------------------------------
  // Subscribe and unsubscribe calls wait (neither sent nor completed) until released.
  void hold_subscription_calls() {
    std::lock_guard lock(mutex_);
    holding_ = true;
  }
  // Sends the held calls, in the order they were made or reversed, and stops holding.
  void release_subscription_calls(bool reversed = false) {
    std::vector<std::function<void()>> calls;
    {
      std::lock_guard lock(mutex_);
      holding_ = false;
      calls.swap(held_);
    }
    if (reversed) std::reverse(calls.begin(), calls.end());
    for (auto& call : calls) run_on(thread_, std::move(call));
  }
  std::size_t held_subscription_calls() const {
    std::lock_guard lock(mutex_);
    return held_.size();
  }
  // Subscribes made from now on complete with EngineErrc::unavailable, without effect.
  void fail_subscribes(bool fail) {
    std::lock_guard lock(mutex_);
    fail_subscribes_ = fail;
  }
  // Publications of `channel` do not reach the node (its subscription was lost).
  void lose_publications(const std::string& channel, bool lose) {
    std::lock_guard lock(mutex_);
    if (lose) {
      lost_channels_.insert(channel);
    } else {
      lost_channels_.erase(channel);
    }
  }
  // The subscription to `channel` is back: the node hears of it on the engine thread.
  void restore_subscription(const std::string& channel) {
    run_on(thread_, [this, channel] { handler_->on_subscription_restored(channel); });
  }
  std::size_t subscribe_calls() const {
    std::lock_guard lock(mutex_);
    return subscribe_calls_;
  }

  // --- engine::Broker ----------------------------------------------------------------
  void start(std::string node_id, engine::BrokerHandler& handler) override {
    handler_ = &handler;
    inner_->start(std::move(node_id), *this);
  }
  void subscribe(std::string_view channel, engine::Completion done) override {
    bool fail = false;  // decided when the call is made, whenever it is answered
    {
      std::lock_guard lock(mutex_);
      fail = fail_subscribes_;
    }
    subscription_call(
        [this, channel = std::string(channel), done = std::move(done), fail] {
          if (!fail) return inner_->subscribe(channel, done);
          if (done) done(engine::EngineErrc::unavailable);
        },
        true);
  }
  void unsubscribe(std::string_view channel, engine::Completion done) override {
    subscription_call([this, channel = std::string(channel),
                       done = std::move(done)] { inner_->unsubscribe(channel, done); },
                      false);
  }
  void publish(engine::Publication publication, const engine::HistoryOptions& history,
               engine::ResultCallback<engine::PublicationPtr> done) override {
    run_on(thread_, 
        [this, publication = std::move(publication), history, done = std::move(done)]() mutable {
          inner_->publish(std::move(publication), history, done);
        });
  }
  void publish_to_node(std::string_view node_id, const engine::PublicationPtr& publication,
                       engine::Completion done) override {
    run_on(thread_, [this, node_id = std::string(node_id), publication, done = std::move(done)] {
      inner_->publish_to_node(node_id, publication, done);
    });
  }

  // --- engine::BrokerHandler: the inner broker's deliveries, handed on later -------------
  void on_publication(const engine::PublicationPtr& publication) override {
    {
      std::lock_guard lock(mutex_);
      if (lost_channels_.count(publication->channel) != 0) return;
    }
    run_on(thread_, [this, publication] { handler_->on_publication(publication); });
  }
  void on_node_message(const engine::PublicationPtr& publication) override {
    run_on(thread_, [this, publication] { handler_->on_node_message(publication); });
  }

 private:
  void subscription_call(std::function<void()> call, bool is_subscribe) {
    {
      std::lock_guard lock(mutex_);
      if (is_subscribe) ++subscribe_calls_;
      if (holding_) {
        held_.push_back(std::move(call));
        return;
      }
    }
    run_on(thread_, std::move(call));
  }

  std::shared_ptr<engine::Broker> inner_;
  EngineThreadPtr thread_;
  engine::BrokerHandler* handler_ = nullptr;  // set by start(), before any other call
  mutable std::mutex mutex_;
  bool holding_ = false;
  std::vector<std::function<void()>> held_;
  bool fail_subscribes_ = false;
  std::set<std::string> lost_channels_;
  std::size_t subscribe_calls_ = 0;
};

// Answers a test holds back (a reply slow to come back), then releases in order.
class HeldAnswers {
 public:
  explicit HeldAnswers(EngineThreadPtr thread) : thread_(std::move(thread)) {}
  void hold() {
    std::lock_guard lock(mutex_);
    holding_ = true;
  }
  // Stops holding; what was held runs on the engine thread, in order.
  void release() {
    std::vector<std::function<void()>> answers;
    {
      std::lock_guard lock(mutex_);
      holding_ = false;
      answers.swap(held_);
    }
    for (auto& answer : answers) run_on(thread_, std::move(answer));
  }
  std::size_t held() const {
    std::lock_guard lock(mutex_);
    return held_.size();
  }
  // Runs `answer` now, or keeps it while holding.
  void answer(std::function<void()> answer) {
    {
      std::lock_guard lock(mutex_);
      if (holding_) return held_.push_back(std::move(answer));
    }
    answer();
  }

 private:
  EngineThreadPtr thread_;
  mutable std::mutex mutex_;
  bool holding_ = false;
  std::vector<std::function<void()>> held_;
};

class DeferredHistory final : public engine::HistoryStore {
 public:
  DeferredHistory(std::shared_ptr<engine::HistoryStore> inner, EngineThreadPtr thread)
      : inner_(std::move(inner)), thread_(thread), answers_(std::move(thread)) {}

  // Reads take effect (the store is read then) but their answers wait until released.
  void hold_read_answers() { answers_.hold(); }
  void release_read_answers() { answers_.release(); }
  std::size_t held_read_answers() const { return answers_.held(); }

  void append(engine::Publication p, const engine::HistoryOptions& options,
              engine::ResultCallback<engine::PublicationPtr> done) override {
    run_on(thread_, [this, p = std::move(p), options, done = std::move(done)]() mutable {
      inner_->append(std::move(p), options, done);
    });
  }
  void read(std::string_view channel, std::optional<engine::StreamPosition> since,
            std::size_t limit, engine::ResultCallback<engine::HistoryResult> done) override {
    run_on(thread_, [this, channel = std::string(channel), since, limit, done = std::move(done)] {
      inner_->read(channel, since, limit,
                   [this, done](std::error_code ec, engine::HistoryResult r) {
                     answers_.answer([done, ec, r = std::move(r)] { done(ec, r); });
                   });
    });
  }
  void remove(std::string_view channel, engine::Completion done) override {
    run_on(thread_, [this, channel = std::string(channel), done = std::move(done)] {
      inner_->remove(channel, done);
    });
  }

 private:
  std::shared_ptr<engine::HistoryStore> inner_;
  EngineThreadPtr thread_;
  HeldAnswers answers_;
};

class DeferredPresence final : public engine::PresenceStore {
 public:
  DeferredPresence(std::shared_ptr<engine::PresenceStore> inner, EngineThreadPtr thread)
      : inner_(std::move(inner)), thread_(std::move(thread)) {}
  void add(std::string_view channel, engine::PresenceEntry entry, std::chrono::milliseconds ttl,
           engine::ResultCallback<std::size_t> done) override {
    run_on(thread_, 
        [this, channel = std::string(channel), entry = std::move(entry), ttl,
         done = std::move(done)]() mutable { inner_->add(channel, std::move(entry), ttl, done); });
  }
  void remove(std::string_view channel, std::string_view client,
              engine::ResultCallback<std::size_t> done) override {
    run_on(thread_, [this, channel = std::string(channel), client = std::string(client),
                   done = std::move(done)] { inner_->remove(channel, client, done); });
  }
  void members(std::string_view channel,
               engine::ResultCallback<std::vector<engine::PresenceEntry>> done) override {
    run_on(thread_, [this, channel = std::string(channel), done = std::move(done)] {
      inner_->members(channel, done);
    });
  }
  void touch_user(std::string_view user, std::chrono::milliseconds ttl,
                  engine::Completion done) override {
    run_on(thread_, [this, user = std::string(user), ttl, done = std::move(done)] {
      inner_->touch_user(user, ttl, done);
    });
  }
  void user_online(std::string_view user, engine::ResultCallback<bool> done) override {
    run_on(thread_, [this, user = std::string(user), done = std::move(done)] {
      inner_->user_online(user, done);
    });
  }

 private:
  std::shared_ptr<engine::PresenceStore> inner_;
  EngineThreadPtr thread_;
};

class DeferredRegistry final : public engine::NodeRegistry {
 public:
  DeferredRegistry(std::shared_ptr<engine::NodeRegistry> inner, EngineThreadPtr thread)
      : inner_(std::move(inner)), thread_(std::move(thread)) {}
  void add_connection(std::string_view user, const engine::ConnectionLease& lease,
                      std::chrono::milliseconds ttl, std::size_t limit,
                      engine::ResultCallback<engine::Admission> done) override {
    run_on(thread_, [this, user = std::string(user), lease, ttl, limit, done = std::move(done)] {
      inner_->add_connection(user, lease, ttl, limit, done);
    });
  }
  void remove_connection(std::string_view user, const engine::ConnectionLease& lease,
                         engine::Completion done) override {
    run_on(thread_, [this, user = std::string(user), lease, done = std::move(done)] {
      inner_->remove_connection(user, lease, done);
    });
  }
  void nodes_of(std::string_view user,
                engine::ResultCallback<std::vector<std::string>> done) override {
    run_on(thread_, [this, user = std::string(user), done = std::move(done)] {
      inner_->nodes_of(user, done);
    });
  }
  void connection_count(std::string_view user, engine::ResultCallback<std::size_t> done) override {
    run_on(thread_, [this, user = std::string(user), done = std::move(done)] {
      inner_->connection_count(user, done);
    });
  }

 private:
  std::shared_ptr<engine::NodeRegistry> inner_;
  EngineThreadPtr thread_;
};

class DeferredOffline final : public engine::OfflineStore {
 public:
  DeferredOffline(std::shared_ptr<engine::OfflineStore> inner, EngineThreadPtr thread)
      : inner_(std::move(inner)), thread_(std::move(thread)) {}
  void push(std::string_view user, engine::PublicationPtr publication,
            const engine::OfflineLimits& limits,
            engine::ResultCallback<std::size_t> done) override {
    run_on(thread_, [this, user = std::string(user), publication = std::move(publication), limits,
                   done = std::move(done)] { inner_->push(user, publication, limits, done); });
  }
  void take(std::string_view user,
            engine::ResultCallback<std::vector<engine::PublicationPtr>> done) override {
    run_on(thread_, 
        [this, user = std::string(user), done = std::move(done)] { inner_->take(user, done); });
  }

 private:
  std::shared_ptr<engine::OfflineStore> inner_;
  EngineThreadPtr thread_;
};

// Snapshot reads whose answers can be held, and reads or writes that fail (a store that is
// unreachable: no effect, EngineErrc::unavailable).
class DeferredSnapshots final : public engine::SnapshotStore {
 public:
  DeferredSnapshots(std::shared_ptr<engine::SnapshotStore> inner, EngineThreadPtr thread)
      : inner_(std::move(inner)), thread_(thread), answers_(std::move(thread)) {}

  // Reads take effect (the store is read then) but their answers wait until released.
  void hold_read_answers() { answers_.hold(); }
  void release_read_answers() { answers_.release(); }
  std::size_t held_read_answers() const { return answers_.held(); }
  // Calls made from now on fail, decided when each call is made.
  void fail_reads(bool fail) {
    std::lock_guard lock(mutex_);
    fail_reads_ = fail;
  }
  void fail_writes(bool fail) {
    std::lock_guard lock(mutex_);
    fail_writes_ = fail;
  }
  std::size_t writes() const {
    std::lock_guard lock(mutex_);
    return writes_;
  }

  void set(std::string_view channel, std::string bytes, std::chrono::milliseconds ttl,
           engine::Completion done) override {
    bool fail = false;
    {
      std::lock_guard lock(mutex_);
      fail = fail_writes_;
      ++writes_;
    }
    run_on(thread_, [this, channel = std::string(channel), bytes = std::move(bytes), ttl,
                     done = std::move(done), fail]() mutable {
      if (!fail) return inner_->set(channel, std::move(bytes), ttl, done);
      if (done) done(engine::EngineErrc::unavailable);
    });
  }
  void get(std::string_view channel,
           engine::ResultCallback<std::optional<std::string>> done) override {
    bool fail = false;
    {
      std::lock_guard lock(mutex_);
      fail = fail_reads_;
    }
    run_on(thread_, [this, channel = std::string(channel), done = std::move(done), fail] {
      if (fail) return done(engine::EngineErrc::unavailable, std::nullopt);
      inner_->get(channel, [this, done](std::error_code ec, std::optional<std::string> bytes) {
        answers_.answer([done, ec, bytes = std::move(bytes)] { done(ec, bytes); });
      });
    });
  }
  void remove(std::string_view channel, engine::Completion done) override {
    run_on(thread_, [this, channel = std::string(channel), done = std::move(done)] {
      inner_->remove(channel, done);
    });
  }

 private:
  std::shared_ptr<engine::SnapshotStore> inner_;
  EngineThreadPtr thread_;
  HeldAnswers answers_;
  mutable std::mutex mutex_;
  bool fail_reads_ = false;
  bool fail_writes_ = false;
  std::size_t writes_ = 0;
};

// `inner` with every call deferred to `thread`; `broker`, `history` and `snapshots`
// (optional) receive the decorators for the test to control. The rate limiter stays
// synchronous (as every backend's).
inline engine::Engine make_deferred_engine(engine::Engine inner, EngineThreadPtr thread,
                                           DeferredBroker** broker = nullptr,
                                           DeferredHistory** history = nullptr,
                                           DeferredSnapshots** snapshots = nullptr) {
  engine::Engine e;
  auto deferred_broker = std::make_unique<DeferredBroker>(std::move(inner.broker), thread);
  if (broker != nullptr) *broker = deferred_broker.get();
  e.broker = std::move(deferred_broker);
  auto deferred_history = std::make_unique<DeferredHistory>(std::move(inner.history), thread);
  if (history != nullptr) *history = deferred_history.get();
  e.history = std::move(deferred_history);
  e.presence = std::make_unique<DeferredPresence>(std::move(inner.presence), thread);
  e.registry = std::make_unique<DeferredRegistry>(std::move(inner.registry), thread);
  e.offline = std::make_unique<DeferredOffline>(std::move(inner.offline), thread);
  auto deferred_snapshots =
      std::make_unique<DeferredSnapshots>(std::move(inner.snapshots), thread);
  if (snapshots != nullptr) *snapshots = deferred_snapshots.get();
  e.snapshots = std::move(deferred_snapshots);
  e.rate_limiter = std::move(inner.rate_limiter);
  e.now = std::move(inner.now);
  e.backend = std::move(inner.backend);
  return e;
}

// The rate limiter is synchronous in every backend: shared as it is.
class SharedRateLimiter final : public engine::RateLimiter {
 public:
  explicit SharedRateLimiter(std::shared_ptr<engine::RateLimiter> inner)
      : inner_(std::move(inner)) {}
  engine::RateDecision take(std::string_view key, const engine::RateLimit& limit,
                            double cost) override {
    return inner_->take(key, limit, cost);
  }

 private:
  std::shared_ptr<engine::RateLimiter> inner_;
};

// The nodes of one cluster in this process: `nodes` engines whose brokers are nodes of one
// MemoryBrokerHub (whose history they all read) and whose presence store, registry, offline
// store and rate limiter are one memory store each, answering on `thread` (deferred) or inline
// (null). Give each node its own node_id: the hub refuses a taken one.
inline std::vector<engine::Engine> make_memory_cluster(std::size_t nodes, EngineThreadPtr thread,
                                                       engine::NowFn now = engine::system_now()) {
  auto hub = std::make_shared<engine::MemoryBrokerHub>(now);
  const std::shared_ptr<engine::HistoryStore> history(hub, &hub->history());
  const std::shared_ptr<engine::PresenceStore> presence =
      std::make_shared<engine::MemoryPresence>(now);
  const std::shared_ptr<engine::NodeRegistry> registry =
      std::make_shared<engine::MemoryNodeRegistry>(now);
  const std::shared_ptr<engine::OfflineStore> offline =
      std::make_shared<engine::MemoryOfflineStore>(now);
  const std::shared_ptr<engine::RateLimiter> rate_limiter =
      std::make_shared<engine::MemoryRateLimiter>(now);
  const std::shared_ptr<engine::SnapshotStore> snapshots =
      std::make_shared<engine::MemorySnapshotStore>(now);
  std::vector<engine::Engine> engines(nodes);
  for (engine::Engine& e : engines) {
    e.broker =
        std::make_unique<DeferredBroker>(std::make_unique<engine::MemoryBroker>(hub), thread);
    e.history = std::make_unique<DeferredHistory>(history, thread);
    e.presence = std::make_unique<DeferredPresence>(presence, thread);
    e.registry = std::make_unique<DeferredRegistry>(registry, thread);
    e.offline = std::make_unique<DeferredOffline>(offline, thread);
    e.rate_limiter = std::make_unique<SharedRateLimiter>(rate_limiter);
    e.snapshots = std::make_unique<DeferredSnapshots>(snapshots, thread);
    e.now = now;
  }
  return engines;
}

}  // namespace switchboard::testing
