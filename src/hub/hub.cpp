#include "switchboard/hub/hub.hpp"

namespace switchboard::hub {

Hub::AddResult Hub::add(std::string_view name, Subscriber& s, void* direct) {
  AddResult result;
  auto it = channels_.find(name);
  if (it == channels_.end()) {
    auto channel = std::make_unique<Channel>();
    channel->name = std::string(name);
    it = channels_.emplace(channel->name, std::move(channel)).first;
  }
  Channel& ch = *it->second;
  // A channel emptied during a walk still exists until the walk ends, but its last remove has
  // already reported it idle: it starts again here.
  result.first_on_worker = ch.subscribers.size() == ch.removed_in_walk;
  result.subscription.channel = &ch;
  result.subscription.index = static_cast<std::uint32_t>(ch.subscribers.size());
  ch.subscribers.push_back(&s);
  ch.direct.push_back(direct);
  return result;
}

bool Hub::remove(const Subscription& subscription) {
  Channel* ch = subscription.channel;
  if (walking_ > 0) {
    // A delivery is walking some channel's vector: blank the slot now (so the walk skips it)
    // and compact afterwards.
    ch->subscribers[subscription.index] = nullptr;
    ch->direct[subscription.index] = nullptr;
    if (ch->removed_in_walk++ == 0) deferred_.push_back(ch);
    return ch->removed_in_walk == ch->subscribers.size();
  }
  erase_now(subscription);
  if (!ch->subscribers.empty()) return false;
  channels_.erase(ch->name);
  return true;
}

void Hub::erase_now(const Subscription& subscription) {
  Channel* ch = subscription.channel;
  auto& subs = ch->subscribers;
  auto& direct = ch->direct;
  // Swap-remove: the last subscriber takes the freed slot and learns its new index.
  Subscriber* last = subs.back();
  void* last_direct = direct.back();
  subs.pop_back();
  direct.pop_back();
  if (subscription.index < subs.size()) {
    subs[subscription.index] = last;
    direct[subscription.index] = last_direct;
    if (last != nullptr) {
      if (Subscription* moved = last->find_subscription(*ch)) moved->index = subscription.index;
    }
  }
}

void Hub::apply_deferred() {
  std::vector<Channel*> pending;
  pending.swap(deferred_);
  // Each channel once: compacting may free it, so it must not be visited again.
  for (Channel* ch : pending) {
    auto& subs = ch->subscribers;
    // Compact the channel: drop every null slot and renumber the moved subscribers.
    std::size_t out = 0;
    for (std::size_t i = 0; i < subs.size(); ++i) {
      if (subs[i] == nullptr) continue;
      if (out != i) {
        subs[out] = subs[i];
        ch->direct[out] = ch->direct[i];
        if (Subscription* moved = subs[out]->find_subscription(*ch)) {
          moved->index = static_cast<std::uint32_t>(out);
        }
      }
      ++out;
    }
    subs.resize(out);
    ch->direct.resize(out);
    ch->removed_in_walk = 0;
    if (subs.empty()) channels_.erase(ch->name);
  }
}

const Channel* Hub::find(std::string_view channel) const noexcept {
  auto it = channels_.find(channel);
  return it == channels_.end() ? nullptr : it->second.get();
}

std::vector<std::string> Hub::channel_names() const {
  std::vector<std::string> names;
  names.reserve(channels_.size());
  for (const auto& [name, ch] : channels_) names.push_back(name);
  return names;
}

}  // namespace switchboard::hub
