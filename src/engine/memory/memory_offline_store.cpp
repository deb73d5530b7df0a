// MemoryOfflineStore: user → bounded queue of (publication, expiry).
#include "switchboard/engine/memory/memory_offline_store.hpp"

#include <algorithm>
#include <deque>
#include <mutex>
#include <string>
#include <utility>

#include "string_map.hpp"
#include "sweeper.hpp"

namespace switchboard::engine {
namespace {

struct Held {
  PublicationPtr publication;
  TimePoint expires;  // live while now < expires
};

using Inbox = std::deque<Held>;  // oldest first

bool prune(Inbox& inbox, TimePoint at) {
  // Limits may differ between pushes, so expiries are not sorted: filter, not pop_front.
  std::erase_if(inbox, [at](const Held& h) { return at >= h.expires; });
  return inbox.empty();
}

}  // namespace

struct MemoryOfflineStore::Impl {
  NowFn now;
  mutable std::mutex mu;
  memory_detail::StringMap<Inbox> users;
  memory_detail::Sweeper sweeper;
};

MemoryOfflineStore::MemoryOfflineStore(NowFn now) : impl_(std::make_unique<Impl>()) {
  impl_->now = std::move(now);
}

MemoryOfflineStore::~MemoryOfflineStore() = default;

void MemoryOfflineStore::push(std::string_view user_id, PublicationPtr publication,
                              const OfflineLimits& limits,
                              ResultCallback<std::size_t> done) {
  std::size_t dropped = 0;
  const TimePoint at = impl_->now();
  {
    std::lock_guard lock(impl_->mu);
    if (limits.max_messages == 0) {
      dropped = 1;  // nothing may be kept: the message itself is the one dropped
    } else {
      Inbox& inbox = memory_detail::find_or_add(impl_->users, user_id)->second;
      prune(inbox, at);
      const bool held = !publication->id.empty() &&
                        std::any_of(inbox.begin(), inbox.end(), [&](const Held& h) {
                          return h.publication->id == publication->id;
                        });
      if (!held) {
        for (; inbox.size() >= limits.max_messages; ++dropped) inbox.pop_front();
        inbox.push_back({std::move(publication), at + limits.ttl});
      }
      if (impl_->sweeper.tick()) {
        impl_->sweeper.sweep(impl_->users, [at](Inbox& i) { return prune(i, at); });
      }
    }
  }
  if (done) done({}, dropped);
}

void MemoryOfflineStore::take(std::string_view user_id,
                              ResultCallback<std::vector<PublicationPtr>> done) {
  std::vector<PublicationPtr> live;
  const TimePoint at = impl_->now();
  {
    std::lock_guard lock(impl_->mu);
    const auto it = impl_->users.find(user_id);
    if (it != impl_->users.end()) {
      for (Held& held : it->second) {
        if (at < held.expires) live.push_back(std::move(held.publication));
      }
      impl_->users.erase(it);
    }
  }
  if (done) done({}, std::move(live));
}

std::size_t MemoryOfflineStore::user_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->users.size();
}

}  // namespace switchboard::engine
