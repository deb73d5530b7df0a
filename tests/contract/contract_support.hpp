#pragma once
// Helpers shared by the engine contract suites: waiting for a callback that may run on
// another thread (distributed backends) or before the call returns (memory), naming
// instantiations after their factory, and printing engine values in failure messages.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/error.hpp"
#include "switchboard/engine/presence_store.hpp"
#include "switchboard/engine/publication.hpp"

namespace switchboard::engine {

inline void PrintTo(const StreamPosition& p, std::ostream* os) {
  *os << to_string(p);
}
inline void PrintTo(const PresenceEntry& e, std::ostream* os) {
  *os << "{client " << e.client_id << ", user " << e.user_id << ", node " << e.node_id << "}";
}

namespace contract {

// How long a suite waits for a callback before failing: generous, because a distributed
// backend answers over the network; a synchronous backend never waits.
inline constexpr std::chrono::seconds kCallbackTimeout{5};

// Captures what a callback receives and how often it was called, from any thread.
template <class T>
class Captured {
 public:
  std::function<void(T)> callback() {
    return [state = state_](T value) {
      std::lock_guard lock(state->mu);
      ++state->calls;
      if (!state->value) state->value = std::move(value);
      state->cv.notify_all();
    };
  }
  // The first value received; fails the test (and returns T{}) after kCallbackTimeout.
  T wait() {
    std::unique_lock lock(state_->mu);
    if (!state_->cv.wait_for(lock, kCallbackTimeout, [&] { return state_->value.has_value(); })) {
      ADD_FAILURE() << "callback not called within " << kCallbackTimeout.count() << " s";
      return T{};
    }
    return *state_->value;
  }
  int calls() const {
    std::lock_guard lock(state_->mu);
    return state_->calls;
  }

 private:
  struct State {
    mutable std::mutex mu;
    std::condition_variable cv;
    std::optional<T> value;
    int calls = 0;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// Calls `start(callback)` and returns what the callback receives.
template <class T, class Start>
T await_value(Start&& start) {
  Captured<T> captured;
  std::forward<Start>(start)(captured.callback());
  return captured.wait();
}

// Calls `start(callback)` for a callback of (error_code, T), expects it to succeed and returns
// the T (every call of a reachable backend succeeds).
template <class T, class Start>
T await_ok(Start&& start) {
  Captured<std::pair<std::error_code, T>> captured;
  auto callback = captured.callback();
  std::forward<Start>(start)(
      [callback](std::error_code ec, T value) { callback({ec, std::move(value)}); });
  auto [ec, value] = captured.wait();
  EXPECT_FALSE(ec) << ec.message();
  return value;
}

// A Completion that records its error; check() expects exactly one call, without error.
class CompletionCheck {
 public:
  Completion callback() { return captured_.callback(); }
  // The same for a call that answers a value (ignored).
  template <class T>
  ResultCallback<T> result_callback() {
    return [done = callback()](std::error_code ec, T) { done(ec); };
  }
  void expect_succeeded() {
    EXPECT_FALSE(captured_.wait()) << "completion failed";
    EXPECT_EQ(captured_.calls(), 1) << "a completion must run exactly once";
  }

 private:
  Captured<std::error_code> captured_;
};

// A factory for the store suites: `make` receives the clock every expiry decision must be
// taken from (the suites move it by hand: no test sleeps) and returns an empty store.
template <class Store>
struct StoreFactory {
  std::string name;  // letters, digits and underscores: it names the instantiated tests
  std::function<std::unique_ptr<Store>(NowFn)> make;
};
template <class Store>
void PrintTo(const StoreFactory<Store>& f, std::ostream* os) {
  *os << f.name;
}

// The fixture of the store suites: a fresh store per test on a ManualClock.
template <class Store>
class StoreContract : public ::testing::TestWithParam<StoreFactory<Store>> {
 protected:
  void SetUp() override { store_ = this->GetParam().make(clock_.fn()); }

  ManualClock clock_;  // declared first: the store may read it until destroyed
  std::unique_ptr<Store> store_;
};

// Names an instantiation's tests after its factory ("Memory/HistoryContract.Offsets/0" →
// ".../Memory"): factories have a `name` member of letters, digits and underscores.
struct FactoryName {
  template <class Factory>
  std::string operator()(const ::testing::TestParamInfo<Factory>& info) const {
    return info.param.name;
  }
};

// For payloads "<sender>:<n>" sent by `senders` concurrent senders, `per_sender` each:
// expects each sender's payloads to be all there, in the order it sent them.
inline void expect_each_sender_in_order(const std::vector<std::string>& payloads, int senders,
                                        int per_sender) {
  EXPECT_EQ(payloads.size(), static_cast<std::size_t>(senders * per_sender));
  for (int s = 0; s < senders; ++s) {
    const std::string prefix = std::to_string(s) + ":";
    int next = 0;
    for (const auto& p : payloads) {
      if (p.rfind(prefix, 0) != 0) continue;
      EXPECT_EQ(p, prefix + std::to_string(next));
      ++next;
    }
    EXPECT_EQ(next, per_sender) << "sender " << s;
  }
}

inline Publication make_publication(std::string channel, std::string payload,
                                    std::string type = "message.new") {
  Publication p;
  p.channel = std::move(channel);
  p.type = std::move(type);
  p.payload = std::move(payload);
  return p;
}

}  // namespace contract
}  // namespace switchboard::engine
