#include "switchboard/hub/hub.hpp"

namespace switchboard::hub {

Hub::AddResult Hub::add(std::string_view name, Subscriber& s, void* direct) {
  AddResult result;
  auto it = channels_.find(name);
  if (it == channels_.end()) {
    auto channel = std::make_unique<Channel>();
    channel->name = std::string(name);
    const std::string_view key = channel->name;
    it = channels_.emplace(key, std::move(channel)).first;
  }
  Channel& ch = *it->second;
  // A channel emptied during a walk still exists until the walk ends, but its last remove has
  // already reported it idle: it starts again here.
  result.first_on_worker = ch.slots.size() == ch.removed_in_walk;
  result.subscription.channel = &ch;
  result.subscription.index = static_cast<std::uint32_t>(ch.slots.size());
  ch.slots.push_back(Slot{&s, direct});
  return result;
}

bool Hub::remove(const Subscription& subscription) {
  Channel* ch = subscription.channel;
  if (walking_ > 0) {
    // A delivery is walking some channel's vector: blank the slot now (so the walk skips it)
    // and compact afterwards.
    ch->slots[subscription.index] = Slot{};
    if (ch->removed_in_walk++ == 0) deferred_.push_back(ch);
    return ch->removed_in_walk == ch->slots.size();
  }
  erase_now(subscription);
  if (!ch->slots.empty()) return false;
  erase_channel(*ch);
  return true;
}

void Hub::erase_channel(Channel& ch) {
  // Find first: the key is a view of the name the erase destroys.
  const auto it = channels_.find(ch.name);
  if (it != channels_.end()) channels_.erase(it);
}

void Hub::erase_now(const Subscription& subscription) {
  Channel* ch = subscription.channel;
  auto& slots = ch->slots;
  // Swap-remove: the last subscriber takes the freed slot and learns its new index.
  const Slot last = slots.back();
  slots.pop_back();
  if (subscription.index < slots.size()) {
    slots[subscription.index] = last;
    if (last.subscriber != nullptr) {
      if (Subscription* moved = last.subscriber->find_subscription(*ch)) {
        moved->index = subscription.index;
      }
    }
  }
}

void Hub::apply_deferred() {
  std::vector<Channel*> pending;
  pending.swap(deferred_);
  // Each channel once: compacting may free it, so it must not be visited again.
  for (Channel* ch : pending) {
    auto& slots = ch->slots;
    // Compact the channel: drop every null slot and renumber the moved subscribers.
    std::size_t out = 0;
    for (std::size_t i = 0; i < slots.size(); ++i) {
      if (slots[i].subscriber == nullptr) continue;
      if (out != i) {
        slots[out] = slots[i];
        if (Subscription* moved = slots[out].subscriber->find_subscription(*ch)) {
          moved->index = static_cast<std::uint32_t>(out);
        }
      }
      ++out;
    }
    slots.resize(out);
    ch->removed_in_walk = 0;
    if (slots.empty()) erase_channel(*ch);
  }
}

const Channel* Hub::find(std::string_view channel) const noexcept {
  auto it = channels_.find(channel);
  return it == channels_.end() ? nullptr : it->second.get();
}

std::vector<std::string> Hub::channel_names() const {
  std::vector<std::string> names;
  names.reserve(channels_.size());
  for (const auto& [name, ch] : channels_) names.emplace_back(name);
  return names;
}

}  // namespace switchboard::hub
