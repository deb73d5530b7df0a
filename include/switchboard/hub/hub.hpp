#pragma once
// A worker's shard of the hub: channel → the local subscribers on this worker. Delivery walks
// one vector of pointers; subscribe and unsubscribe are O(1) (each subscription remembers its
// index). Nothing here is shared between workers, so nothing is locked.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace switchboard::hub {

class Subscriber;

// One subscriber of a channel, with an opaque fast-path target the subscriber may publish
// (the gateway puts the connection there while nothing needs the session's attention), so
// that a plain delivery touches one object per recipient instead of two. Null: no fast path.
struct Slot {
  Subscriber* subscriber = nullptr;  // null: removed during a walk, not compacted yet
  void* direct = nullptr;
};

struct Channel {
  std::string name;
  std::vector<Slot> slots;  // one vector, one allocation: a user's own channel has one slot
  std::size_t removed_in_walk = 0;  // how many null slots
  // Where the channel's stream stands for this shard: the offset and epoch of the last
  // publication delivered here (offset 0: none yet). Kept by the hub's owner (the gateway
  // recovers from there when its broker lost the subscription); the hub only stores it.
  std::uint64_t last_offset = 0;
  std::string last_epoch;
};

// What a subscriber holds for one of its subscriptions (for O(1) removal).
struct Subscription {
  Channel* channel = nullptr;
  std::uint32_t index = 0;  // position in channel->slots
};

class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // The hub keeps each Subscription's index up to date as other subscribers leave.
  virtual Subscription* find_subscription(const Channel& channel) noexcept = 0;
};

// Thread safety: one Hub per worker, used only on that worker's thread.
class Hub {
 public:
  // Adds `s` to `channel`. Returns the subscription, and first_on_worker=true when the channel
  // had no local subscriber before (the node then counts it towards its broker subscription).
  struct AddResult {
    Subscription subscription;
    bool first_on_worker = false;
  };
  AddResult add(std::string_view channel, Subscriber& s, void* direct = nullptr);
  // Sets or clears (nullptr) the fast-path target of a subscription.
  static void set_direct(const Subscription& subscription, void* direct) noexcept {
    subscription.channel->slots[subscription.index].direct = direct;
  }
  // Removes the subscription; returns true when the channel has no local subscriber left (the
  // channel is then freed, at the end of the walk if one is under way). Over a channel's life
  // exactly one remove returns true, walks or not.
  bool remove(const Subscription& subscription);

  // The channel's local subscribers, or nullptr. Calling add/remove while iterating is not
  // allowed: deliveries that may unsubscribe collect first (see for_each_subscriber).
  const Channel* find(std::string_view channel) const noexcept;
  Channel* find(std::string_view channel) noexcept {
    return const_cast<Channel*>(static_cast<const Hub&>(*this).find(channel));
  }

  // Calls f(Subscriber&, const Channel&, void* direct) — or f(Subscriber&, const Channel&) —
  // for each local subscriber of `channel`. Safe against f causing unsubscribes (of any
  // subscriber): removals during the walk are deferred until it ends.
  template <class F>
  void for_each_subscriber(std::string_view channel, F&& f);

  std::size_t channel_count() const noexcept { return channels_.size(); }
  std::vector<std::string> channel_names() const;

 private:
  void erase_now(const Subscription& subscription);
  void erase_channel(Channel& channel);
  void apply_deferred();

  // Keyed by a view of the channel's own name (the Channel never moves): the name is stored
  // once.
  std::unordered_map<std::string_view, std::unique_ptr<Channel>> channels_;
  int walking_ = 0;
  std::vector<Channel*> deferred_;  // channels with slots to compact, each listed once
};

template <class F>
void Hub::for_each_subscriber(std::string_view channel, F&& f) {
  auto it = channels_.find(channel);
  if (it == channels_.end()) return;
  Channel& ch = *it->second;
  ++walking_;
  // Index loop: the vector does not change during the walk (removals are deferred, and adds
  // from inside a delivery are not expected); entries may be nulled by deferred removal.
  const std::size_t n = ch.slots.size();
  for (std::size_t i = 0; i < n; ++i) {
    // Recipients are scattered in memory: fetch a few ahead while this one is served — the
    // connection when the delivery can go to it directly (the session is then never read).
    if (i + 4 < n) {
      const Slot& ahead = ch.slots[i + 4];
      __builtin_prefetch(ahead.direct != nullptr ? ahead.direct
                                                 : static_cast<void*>(ahead.subscriber));
    }
    const Slot slot = ch.slots[i];
    if (slot.subscriber == nullptr) continue;
    if constexpr (std::is_invocable_v<F, Subscriber&, const Channel&, void*>) {
      f(*slot.subscriber, ch, slot.direct);
    } else {
      f(*slot.subscriber, ch);
    }
  }
  if (--walking_ == 0 && !deferred_.empty()) apply_deferred();
}

}  // namespace switchboard::hub
