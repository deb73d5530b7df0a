// The Redis presence store, node registry, offline store and rate limiter beyond their
// contract suites: every key they write has a Redis TTL, every call completes once with
// `unavailable` when Redis is down or the context stopped, scripts are loaded before the first
// call, presence spans shards, an offline take is atomic across nodes, and a store may be
// destroyed with calls pending.
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "contract_support.hpp"
#include "redis_engine_test_support.hpp"
#include "redis_node_registry.hpp"
#include "redis_offline_store.hpp"
#include "redis_presence.hpp"
#include "redis_rate_limiter.hpp"
#include "redis_server_process.hpp"

namespace switchboard::engine::redis {
namespace {

using contract::await_ok;
using std::chrono::milliseconds;
using test::RedisServerProcess;
using testing::engine_options;
using testing::eventually;
using testing::run_command;

constexpr milliseconds kTtl{60'000};

std::shared_ptr<RedisContext> started(const RedisEngineOptions& options, NowFn now) {
  auto context = RedisContext::make(options, std::move(now));
  context->start();
  EXPECT_TRUE(eventually([&] {
    for (std::size_t i = 0; i < context->shards(); ++i) {
      if (!context->ready(i)) return false;
    }
    return true;
  })) << "Redis not ready";
  return context;
}

PublicationPtr message(std::string id) {
  auto p = std::make_shared<Publication>(contract::make_publication("user:alice", "{}"));
  p->id = std::move(id);
  return p;
}

// Runs `start(done)` and waits for `done`, expecting success.
template <class Start>
void await_done(Start start) {
  await_ok<int>([&](auto done) { start([done](std::error_code ec) { done(ec, 0); }); });
}

// Counts completions by name, from any thread; waits (bounded) for a number of them.
class Completions {
 public:
  Completion completion(std::string name) {
    return [state = state_, name](std::error_code ec) { state->add(name, ec); };
  }
  template <class T>
  ResultCallback<T> result(std::string name) {
    return [state = state_, name](std::error_code ec, T) { state->add(name, ec); };
  }
  bool wait_for(std::size_t n) {
    std::unique_lock lock(state_->mu);
    return state_->cv.wait_for(lock, std::chrono::seconds(10),
                               [&] { return state_->calls.size() >= n; });
  }
  std::vector<std::pair<std::string, std::error_code>> calls() const {
    std::lock_guard lock(state_->mu);
    return state_->calls;
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::pair<std::string, std::error_code>> calls;
    void add(const std::string& name, std::error_code ec) {
      std::lock_guard lock(mu);
      calls.emplace_back(name, ec);
      cv.notify_all();
    }
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// One of every call of the three asynchronous stores, each completion named.
void call_everything(PresenceStore& presence, NodeRegistry& registry, OfflineStore& offline,
                     Completions& c) {
  presence.add("room", {"c1", "alice", "n1"}, kTtl, c.result<std::size_t>("presence.add"));
  presence.remove("room", "c1", c.result<std::size_t>("presence.remove"));
  presence.members("room", c.result<std::vector<PresenceEntry>>("presence.members"));
  presence.touch_user("alice", kTtl, c.completion("presence.touch_user"));
  presence.user_online("alice", c.result<bool>("presence.user_online"));
  registry.add_connection("alice", {"n1", "c1"}, kTtl, 10,
                          c.result<Admission>("registry.add_connection"));
  registry.remove_connection("alice", {"n1", "c1"}, c.completion("registry.remove_connection"));
  registry.nodes_of("alice", c.result<std::vector<std::string>>("registry.nodes_of"));
  registry.connection_count("alice", c.result<std::size_t>("registry.connection_count"));
  offline.push("alice", message("m1"), OfflineLimits{}, c.result<std::size_t>("offline.push"));
  offline.take("alice", c.result<std::vector<PublicationPtr>>("offline.take"));
}
constexpr std::size_t kCallsInEverything = 11;

// Every call completed exactly once, with `want`.
void expect_each_once(const Completions& c, std::error_code want) {
  std::map<std::string, int> seen;
  for (const auto& [name, ec] : c.calls()) {
    ++seen[name];
    EXPECT_EQ(ec, want) << name;
  }
  EXPECT_EQ(seen.size(), kCallsInEverything);
  for (const auto& [name, n] : seen) EXPECT_EQ(n, 1) << name << " completed " << n << " times";
}

class RedisStoresTest : public ::testing::Test {
 protected:
  RedisServerProcess server_ = RedisServerProcess::start();
  ManualClock clock_;
};

TEST_F(RedisStoresTest, EveryKeyWrittenHasATtl) {
  auto context = started(engine_options({server_.port()}), clock_.fn());
  RedisPresence presence(context);
  RedisNodeRegistry registry(context);
  RedisOfflineStore offline(context);
  RedisRateLimiter limiter(context);
  await_ok<std::size_t>([&](auto done) { presence.add("room", {"c1", "alice", "n1"}, kTtl, done); });
  // c1 now speaks for bob: alice's online key loses its member (and goes), bob's is new.
  await_ok<std::size_t>([&](auto done) { presence.add("room", {"c1", "bob", "n1"}, kTtl, done); });
  await_done([&](Completion done) { presence.touch_user("carol", kTtl, done); });
  await_ok<Admission>([&](auto done) {
    registry.add_connection("alice", {"n1", "c1"}, kTtl, kNoConnectionLimit, done);
  });
  for (int i = 0; i < 3; ++i) {
    await_ok<std::size_t>([&](auto done) {
      offline.push("alice", message("m" + std::to_string(i)), OfflineLimits{2, kTtl}, done);
    });
  }
  limiter.take("ip:10.0.0.1", RateLimit{0, 3});  // rate 0: the capped TTL
  limiter.take("ip:10.0.0.2", RateLimit{10, 3});
  ASSERT_TRUE(eventually([&] { return limiter.pending_syncs() == 0; }));

  const std::string pattern = context->options().prefix + "*";
  auto [ec, scan] = run_command(*context, 0, {"SCAN", "0", "MATCH", pattern, "COUNT", "1000"});
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_EQ(scan.elements.size(), 2u);
  ASSERT_EQ(scan.elements[0].str, "0") << "one SCAN call saw every key";
  std::set<std::string> kinds;
  for (const auto& key : scan.elements[1].elements) {
    kinds.insert(key.str.substr(context->options().prefix.size(), 2));
    auto [pttl_ec, pttl] = run_command(*context, 0, {"PTTL", key.str});
    ASSERT_FALSE(pttl_ec);
    EXPECT_GT(pttl.integer, 0) << key.str << " has no TTL";
    // Bounded too: the longest is the rate-0 bucket's, max_key_ttl + gc_slack.
    EXPECT_LE(pttl.integer, (std::chrono::hours(24) + context->options().gc_slack).count())
        << key.str;
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"pz", "pi", "pn", "uo", "rc", "of", "rl"}));
}

TEST_F(RedisStoresTest, WithRedisDownEveryCallCompletesOnceAsUnavailable) {
  auto context = started(engine_options({server_.port()}), clock_.fn());
  RedisPresence presence(context);
  RedisNodeRegistry registry(context);
  RedisOfflineStore offline(context);
  server_.kill();
  ASSERT_TRUE(eventually([&] { return !context->ready(0); }));
  Completions c;
  call_everything(presence, registry, offline, c);
  ASSERT_TRUE(c.wait_for(kCallsInEverything));
  // A late second completion would come before this one (one I/O thread, in order).
  Completions barrier;
  presence.members("room", barrier.result<std::vector<PresenceEntry>>("barrier"));
  ASSERT_TRUE(barrier.wait_for(1));
  expect_each_once(c, EngineErrc::unavailable);
}

TEST_F(RedisStoresTest, WithTheContextStoppedEveryCallCompletesAtOnceAsUnavailable) {
  auto context = started(engine_options({server_.port()}), clock_.fn());
  RedisPresence presence(context);
  RedisNodeRegistry registry(context);
  RedisOfflineStore offline(context);
  RedisRateLimiter limiter(context);
  context->stop();
  Completions c;
  call_everything(presence, registry, offline, c);
  EXPECT_EQ(c.calls().size(), kCallsInEverything) << "on the caller's thread, before returning";
  expect_each_once(c, EngineErrc::unavailable);
  EXPECT_TRUE(limiter.take("k", RateLimit{10, 5}).allowed) << "the local bucket decides";
  EXPECT_EQ(limiter.stats().local_only, 1u);
}

TEST_F(RedisStoresTest, AUsersPresenceSpansShards) {
  auto second = RedisServerProcess::start();
  auto context = started(engine_options({server_.port(), second.port()}), clock_.fn());
  RedisPresence redis_presence(context);
  PresenceStore& presence = redis_presence;  // the interface's default arguments
  const std::string user = "alice";
  const std::size_t home = context->shard_for(user);
  // A channel on the user's home shard and one on the other shard.
  std::string at_home, away;
  for (int i = 0; at_home.empty() || away.empty(); ++i) {
    const std::string ch = "room:" + std::to_string(i);
    (context->shard_for(ch) == home ? at_home : away) = ch;
  }
  auto online = [&] {
    return await_ok<bool>([&](auto done) { presence.user_online(user, done); });
  };
  auto add = [&](const std::string& ch, const std::string& client) {
    presence.add(ch, {client, user, "n1"}, kTtl);
  };
  add(away, "c1");
  EXPECT_TRUE(online()) << "an entry on the shard that is not the user's";
  add(at_home, "c2");
  presence.remove(away, "c1");
  EXPECT_TRUE(online()) << "the entry at home is left";
  presence.remove(at_home, "c2");
  EXPECT_FALSE(online());

  add(away, "c1");
  (home == 0 ? server_ : second).kill();  // the user's home shard goes
  ASSERT_TRUE(eventually([&] { return !context->ready(home); }));
  EXPECT_TRUE(online()) << "a live entry on a reachable shard answers";
  std::pair<std::error_code, bool> nobody;
  std::promise<void> answered;
  presence.user_online("nobody", [&](std::error_code ec, bool value) {
    nobody = {ec, value};
    answered.set_value();
  });
  answered.get_future().wait();
  EXPECT_EQ(nobody.first, EngineErrc::unavailable) << "no entry found, one shard unknown";
}

TEST_F(RedisStoresTest, ScriptsAreLoadedBeforeTheFirstCallAndAfterARestart) {
  // A script Redis does not know is retried behind later commands (NOSCRIPT): the add would
  // land after the user_online (plain commands) issued after it. Preloaded, it cannot.
  auto context = started(engine_options({server_.port()}), clock_.fn());
  RedisPresence redis_presence(context);
  PresenceStore& presence = redis_presence;
  auto online = [&](const std::string& user) {
    return await_ok<bool>([&](auto done) { presence.user_online(user, done); });
  };
  presence.add("room", {"c1", "alice", "n1"}, kTtl);
  EXPECT_TRUE(online("alice")) << "the server's first script call";
  server_.kill();  // a new server process knows no script
  ASSERT_TRUE(eventually([&] { return !context->ready(0); }));
  server_.restart();
  ASSERT_TRUE(eventually([&] { return context->ready(0); }));
  presence.add("room", {"c2", "bob", "n1"}, kTtl);
  EXPECT_TRUE(online("bob")) << "the first call after the restart";
}

TEST_F(RedisStoresTest, TwoNodesTakingAtOnceNeverBothGetAMessage) {
  const auto options = engine_options({server_.port()});  // one prefix: two nodes
  RedisOfflineStore a(started(options, clock_.fn()));
  RedisOfflineStore b(started(options, clock_.fn()));
  constexpr int kRounds = 20;
  constexpr int kMessages = 50;
  for (int round = 0; round < kRounds; ++round) {
    for (int i = 0; i < kMessages; ++i) a.push("alice", message(std::to_string(i)), {}, {});
    std::vector<PublicationPtr> got_a, got_b;
    std::thread other([&] {
      got_b = await_ok<std::vector<PublicationPtr>>([&](auto done) { b.take("alice", done); });
    });
    got_a = await_ok<std::vector<PublicationPtr>>([&](auto done) { a.take("alice", done); });
    other.join();
    std::set<std::string> ids;
    for (const auto* got : {&got_a, &got_b}) {
      for (const auto& p : *got) EXPECT_TRUE(ids.insert(p->id).second) << "taken twice: " << p->id;
    }
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(kMessages)) << "round " << round;
  }
}

TEST_F(RedisStoresTest, StoresDestroyedWithCallsPendingCompleteEveryCall) {
  // The I/O thread is held until the stores and the context are gone: every call is pending
  // then, and completes (unavailable: the context stops) into state the calls keep alive.
  auto context = started(engine_options({server_.port()}), clock_.fn());
  std::promise<void> release;
  ASSERT_TRUE(context->post([gate = release.get_future().share()] { gate.wait(); }));
  Completions c;
  constexpr int kRounds = 50;
  auto presence = std::make_unique<RedisPresence>(context);
  auto registry = std::make_unique<RedisNodeRegistry>(context);
  auto offline = std::make_unique<RedisOfflineStore>(context);
  for (int i = 0; i < kRounds; ++i) call_everything(*presence, *registry, *offline, c);
  presence.reset();
  registry.reset();
  offline.reset();
  std::thread stopper([&] { context.reset(); });  // the last owner: joins the I/O thread
  release.set_value();
  stopper.join();
  const auto calls = c.calls();
  EXPECT_EQ(calls.size(), kRounds * kCallsInEverything) << "each exactly once";
}

}  // namespace
}  // namespace switchboard::engine::redis
