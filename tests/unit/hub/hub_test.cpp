// Hub: O(1) add/remove with index maintenance, first/last flags, and walks that stay correct
// when deliveries unsubscribe (the walked subscriber, others, or many).
#include "switchboard/hub/hub.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace switchboard::hub {
namespace {

// A subscriber as a session holds one: a small vector of its subscriptions.
class FakeSubscriber : public Subscriber {
 public:
  explicit FakeSubscriber(int id) : id_(id) {}

  // Returns first_on_worker.
  bool join(Hub& hub, const std::string& channel) {
    Hub::AddResult r = hub.add(channel, *this);
    subs_.push_back(r.subscription);
    return r.first_on_worker;
  }
  // Like a session: forgets the subscription, then tells the hub. Returns the hub's "last".
  bool leave(Hub& hub, const std::string& channel) {
    for (std::size_t i = 0; i < subs_.size(); ++i) {
      if (subs_[i].channel->name != channel) continue;
      const Subscription s = subs_[i];
      subs_[i] = subs_.back();
      subs_.pop_back();
      return hub.remove(s);
    }
    ADD_FAILURE() << "subscriber " << id_ << " is not in " << channel;
    return false;
  }
  bool leave_all(Hub& hub, int* lasts = nullptr) {
    bool any_last = false;
    while (!subs_.empty()) {
      const bool last = leave(hub, subs_.back().channel->name);
      any_last = any_last || last;
      if (last && lasts != nullptr) ++*lasts;
    }
    return any_last;
  }

  Subscription* find_subscription(const Channel& channel) noexcept override {
    for (auto& s : subs_) {
      if (s.channel == &channel) return &s;
    }
    return nullptr;
  }

  int id() const { return id_; }
  const std::vector<Subscription>& subscriptions() const { return subs_; }

 private:
  int id_;
  std::vector<Subscription> subs_;
};

std::vector<std::unique_ptr<FakeSubscriber>> make_subscribers(int n) {
  std::vector<std::unique_ptr<FakeSubscriber>> out;
  for (int i = 0; i < n; ++i) out.push_back(std::make_unique<FakeSubscriber>(i));
  return out;
}

// Every channel's vector and every subscriber's remembered indices agree, and no slot is null.
void expect_consistent(const Hub& hub, const std::vector<std::unique_ptr<FakeSubscriber>>& subs) {
  std::size_t total_slots = 0;
  for (const std::string& name : hub.channel_names()) {
    const Channel* ch = hub.find(name);
    ASSERT_NE(ch, nullptr) << name;
    EXPECT_EQ(ch->name, name);
    EXPECT_FALSE(ch->slots.empty()) << "an empty channel is freed: " << name;
    total_slots += ch->slots.size();
    for (std::size_t i = 0; i < ch->slots.size(); ++i) {
      Subscriber* s = ch->slots[i].subscriber;
      ASSERT_NE(s, nullptr) << name << "[" << i << "]";
      Subscription* sub = s->find_subscription(*ch);
      ASSERT_NE(sub, nullptr) << name << "[" << i << "]";
      EXPECT_EQ(sub->index, i) << name;
    }
  }
  std::size_t total_subscriptions = 0;
  for (const auto& s : subs) {
    for (const Subscription& sub : s->subscriptions()) {
      ++total_subscriptions;
      ASSERT_LT(sub.index, sub.channel->slots.size());
      EXPECT_EQ(sub.channel->slots[sub.index].subscriber, s.get());
      EXPECT_EQ(hub.find(sub.channel->name), sub.channel);
    }
  }
  EXPECT_EQ(total_slots, total_subscriptions);
}

std::vector<int> visit_ids(Hub& hub, const std::string& channel) {
  std::vector<int> ids;
  hub.for_each_subscriber(channel, [&](Subscriber& s, const Channel&) {
    ids.push_back(static_cast<FakeSubscriber&>(s).id());
  });
  return ids;
}

std::vector<int> sorted(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(Hub, FirstOnWorkerOnlyForTheFirstSubscriber) {
  Hub hub;
  auto subs = make_subscribers(3);
  EXPECT_TRUE(subs[0]->join(hub, "a"));
  EXPECT_FALSE(subs[1]->join(hub, "a"));
  EXPECT_TRUE(subs[1]->join(hub, "b"));
  EXPECT_FALSE(subs[2]->join(hub, "a"));
  EXPECT_EQ(hub.channel_count(), 2u);
  expect_consistent(hub, subs);
}

TEST(Hub, LastOnlyForTheLastSubscriberAndTheChannelIsFreed) {
  Hub hub;
  auto subs = make_subscribers(3);
  for (auto& s : subs) s->join(hub, "a");
  subs[0]->join(hub, "b");
  EXPECT_FALSE(subs[1]->leave(hub, "a"));
  EXPECT_FALSE(subs[0]->leave(hub, "a"));
  EXPECT_NE(hub.find("a"), nullptr);
  EXPECT_TRUE(subs[2]->leave(hub, "a"));
  EXPECT_EQ(hub.find("a"), nullptr);
  EXPECT_EQ(hub.channel_count(), 1u);
  EXPECT_EQ(hub.channel_names(), std::vector<std::string>{"b"});
  // A channel that was freed starts again as new.
  EXPECT_TRUE(subs[1]->join(hub, "a"));
  expect_consistent(hub, subs);
}

TEST(Hub, SwapRemoveUpdatesTheMovedSubscribersIndex) {
  Hub hub;
  auto subs = make_subscribers(4);
  for (auto& s : subs) s->join(hub, "c");
  subs[1]->leave(hub, "c");  // subscriber 3 moves from slot 3 to slot 1
  const Channel* ch = hub.find("c");
  ASSERT_NE(ch, nullptr);
  ASSERT_EQ(ch->slots.size(), 3u);
  EXPECT_EQ(ch->slots[1].subscriber, subs[3].get());
  EXPECT_EQ(subs[3]->find_subscription(*ch)->index, 1u);
  expect_consistent(hub, subs);
  // The moved subscriber's updated subscription removes it, not whoever is at its old slot.
  subs[3]->leave(hub, "c");
  EXPECT_EQ(sorted(visit_ids(hub, "c")), (std::vector<int>{0, 2}));
  expect_consistent(hub, subs);
}

TEST(Hub, RemovingTheBackMovesNobody) {
  Hub hub;
  auto subs = make_subscribers(3);
  for (auto& s : subs) s->join(hub, "c");
  subs[2]->leave(hub, "c");
  EXPECT_EQ(visit_ids(hub, "c"), (std::vector<int>{0, 1}));
  expect_consistent(hub, subs);
}

TEST(Hub, IndicesArePerChannel) {
  Hub hub;
  auto subs = make_subscribers(3);
  subs[0]->join(hub, "x");
  subs[1]->join(hub, "x");
  subs[1]->join(hub, "y");
  subs[2]->join(hub, "y");
  subs[0]->leave(hub, "x");  // subscriber 1 moves in x only
  expect_consistent(hub, subs);
  EXPECT_EQ(subs[1]->find_subscription(*hub.find("x"))->index, 0u);
  EXPECT_EQ(subs[1]->find_subscription(*hub.find("y"))->index, 0u);
  EXPECT_EQ(subs[2]->find_subscription(*hub.find("y"))->index, 1u);
}

TEST(Hub, RandomAddsAndRemovesKeepIndicesConsistent) {
  Hub hub;
  auto subs = make_subscribers(40);
  std::mt19937 rng(12345);
  const std::vector<std::string> channels{"a", "b", "c", "d", "e"};
  std::map<std::string, int> members;  // the model: how many subscribers each channel has
  for (int step = 0; step < 4000; ++step) {
    FakeSubscriber& s = *subs[rng() % subs.size()];
    const std::string& ch = channels[rng() % channels.size()];
    const Channel* c = hub.find(ch);
    const bool member = c != nullptr && s.find_subscription(*c) != nullptr;
    if (member) {
      EXPECT_EQ(s.leave(hub, ch), --members[ch] == 0);
    } else {
      EXPECT_EQ(s.join(hub, ch), members[ch]++ == 0);
    }
    if (step % 97 == 0) expect_consistent(hub, subs);
  }
  expect_consistent(hub, subs);
  for (const auto& [ch, n] : members) {
    const Channel* c = hub.find(ch);
    EXPECT_EQ(c == nullptr ? 0 : static_cast<int>(c->slots.size()), n) << ch;
  }
}

TEST(HubWalk, VisitsEverySubscriberOnce) {
  Hub hub;
  auto subs = make_subscribers(5);
  for (auto& s : subs) s->join(hub, "c");
  subs[4]->join(hub, "other");
  EXPECT_EQ(sorted(visit_ids(hub, "c")), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(visit_ids(hub, "other"), std::vector<int>{4});
  EXPECT_TRUE(visit_ids(hub, "missing").empty());
}

TEST(HubWalk, CurrentSubscriberLeaves) {
  Hub hub;
  auto subs = make_subscribers(5);
  for (auto& s : subs) s->join(hub, "c");
  std::vector<int> seen;
  hub.for_each_subscriber("c", [&](Subscriber& s, const Channel&) {
    auto& f = static_cast<FakeSubscriber&>(s);
    seen.push_back(f.id());
    if (f.id() == 1) f.leave(hub, "c");
  });
  EXPECT_EQ(sorted(seen), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(sorted(visit_ids(hub, "c")), (std::vector<int>{0, 2, 3, 4}));
  expect_consistent(hub, subs);
}

TEST(HubWalk, NotYetVisitedSubscriberLeavesAndIsSkipped) {
  Hub hub;
  auto subs = make_subscribers(5);
  for (auto& s : subs) s->join(hub, "c");
  std::vector<int> seen;
  hub.for_each_subscriber("c", [&](Subscriber& s, const Channel&) {
    auto& f = static_cast<FakeSubscriber&>(s);
    seen.push_back(f.id());
    // Whoever comes first removes the subscriber in the last slot, and the next one.
    if (seen.size() == 1) {
      subs[4]->leave(hub, "c");
      subs[2]->leave(hub, "c");
    }
  });
  EXPECT_EQ(sorted(seen), (std::vector<int>{0, 1, 3}));
  EXPECT_EQ(sorted(visit_ids(hub, "c")), (std::vector<int>{0, 1, 3}));
  expect_consistent(hub, subs);
}

TEST(HubWalk, AlreadyVisitedSubscriberLeaves) {
  Hub hub;
  auto subs = make_subscribers(4);
  for (auto& s : subs) s->join(hub, "c");
  std::vector<int> seen;
  hub.for_each_subscriber("c", [&](Subscriber& s, const Channel&) {
    seen.push_back(static_cast<FakeSubscriber&>(s).id());
    if (seen.size() == 3) subs[0]->leave(hub, "c");  // slot 0 was visited first
  });
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(sorted(visit_ids(hub, "c")), (std::vector<int>{1, 2, 3}));
  expect_consistent(hub, subs);
}

TEST(HubWalk, EverySubscriberLeavesDuringTheWalk) {
  Hub hub;
  auto subs = make_subscribers(6);
  for (auto& s : subs) s->join(hub, "c");
  subs[0]->join(hub, "keep");
  std::vector<int> seen;
  int lasts = 0;
  hub.for_each_subscriber("c", [&](Subscriber& s, const Channel&) {
    auto& f = static_cast<FakeSubscriber&>(s);
    seen.push_back(f.id());
    if (f.leave(hub, "c")) ++lasts;
  });
  EXPECT_EQ(sorted(seen), (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(hub.find("c"), nullptr) << "the emptied channel is freed after the walk";
  EXPECT_EQ(lasts, 1) << "exactly one removal reports the channel's last subscriber";
  EXPECT_EQ(hub.channel_names(), std::vector<std::string>{"keep"});
  expect_consistent(hub, subs);
}

TEST(HubWalk, OneSubscriberRemovesManyOthers) {
  Hub hub;
  auto subs = make_subscribers(10);
  for (auto& s : subs) s->join(hub, "c");
  std::vector<int> seen;
  hub.for_each_subscriber("c", [&](Subscriber& s, const Channel&) {
    seen.push_back(static_cast<FakeSubscriber&>(s).id());
    if (seen.size() == 2) {
      for (int id : {0, 3, 5, 6, 9}) subs[id]->leave(hub, "c");
    }
  });
  // 0 and 1 were visited before the removals; 3, 5, 6, 9 never are.
  EXPECT_EQ(sorted(seen), (std::vector<int>{0, 1, 2, 4, 7, 8}));
  EXPECT_EQ(sorted(visit_ids(hub, "c")), (std::vector<int>{1, 2, 4, 7, 8}));
  expect_consistent(hub, subs);
}

TEST(HubWalk, SubscribersLeaveEveryChannelDuringAWalk) {
  // Like sessions closing during a delivery: each leaves all of its channels, including ones
  // not being walked, and several channels empty at once.
  Hub hub;
  auto subs = make_subscribers(8);
  for (auto& s : subs) {
    s->join(hub, "walked");
    s->join(hub, "side" + std::to_string(s->id() % 3));
  }
  subs[0]->join(hub, "stays");
  int lasts = 0;
  std::vector<int> seen;
  hub.for_each_subscriber("walked", [&](Subscriber& s, const Channel&) {
    auto& f = static_cast<FakeSubscriber&>(s);
    seen.push_back(f.id());
    if (f.id() != 0) f.leave_all(hub, &lasts);
  });
  EXPECT_EQ(sorted(seen), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
  // Left: "walked" {0}, "side0" {0}, "stays" {0}; "side1" and "side2" emptied.
  std::vector<std::string> names = hub.channel_names();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"side0", "stays", "walked"}));
  EXPECT_EQ(lasts, 2) << "side1 and side2 each report their last subscriber once";
  expect_consistent(hub, subs);
}

TEST(HubWalk, NestedWalksDeferUntilTheOuterEnds) {
  Hub hub;
  auto subs = make_subscribers(4);
  for (auto& s : subs) {
    s->join(hub, "outer");
    s->join(hub, "inner");
  }
  std::vector<int> inner_seen;
  bool nested = false;
  hub.for_each_subscriber("outer", [&](Subscriber&, const Channel&) {
    if (nested) return;
    nested = true;
    hub.for_each_subscriber("inner", [&](Subscriber& s, const Channel&) {
      auto& f = static_cast<FakeSubscriber&>(s);
      inner_seen.push_back(f.id());
      if (f.id() % 2 == 0) f.leave(hub, "inner");
    });
    // Still inside the outer walk: the inner channel is not compacted yet.
    EXPECT_EQ(hub.find("inner")->slots.size(), 4u);
  });
  EXPECT_EQ(sorted(inner_seen), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(sorted(visit_ids(hub, "inner")), (std::vector<int>{1, 3}));
  expect_consistent(hub, subs);
}

TEST(HubWalk, JoinDuringAWalkAfterTheChannelEmptied) {
  // The channel's last remove reported it idle, so the next join must report it active again,
  // even though the walk keeps the channel object alive until it ends.
  Hub hub;
  auto subs = make_subscribers(3);
  subs[0]->join(hub, "c");
  subs[1]->join(hub, "c");
  std::vector<bool> lasts;
  bool first_again = false;
  std::vector<int> seen;
  hub.for_each_subscriber("c", [&](Subscriber& s, const Channel&) {
    auto& f = static_cast<FakeSubscriber&>(s);
    seen.push_back(f.id());
    lasts.push_back(f.leave(hub, "c"));
    if (seen.size() == 2) first_again = subs[2]->join(hub, "c");
  });
  EXPECT_EQ(lasts, (std::vector<bool>{false, true}));
  EXPECT_TRUE(first_again);
  EXPECT_EQ(seen.size(), 2u) << "a subscriber added during the walk is not visited by it";
  EXPECT_EQ(visit_ids(hub, "c"), std::vector<int>{2});
  expect_consistent(hub, subs);
  EXPECT_TRUE(subs[2]->leave(hub, "c"));
  EXPECT_EQ(hub.channel_count(), 0u);
}

TEST(HubWalk, RejoinAfterAWalkThatEmptiedTheChannel) {
  Hub hub;
  auto subs = make_subscribers(2);
  for (auto& s : subs) s->join(hub, "c");
  hub.for_each_subscriber(
      "c", [&](Subscriber& s, const Channel&) { static_cast<FakeSubscriber&>(s).leave(hub, "c"); });
  EXPECT_EQ(hub.channel_count(), 0u);
  EXPECT_TRUE(subs[1]->join(hub, "c"));
  EXPECT_EQ(visit_ids(hub, "c"), std::vector<int>{1});
  expect_consistent(hub, subs);
}

}  // namespace
}  // namespace switchboard::hub
