// MemoryPresence: channel → members, plus a per-user index for user_online().
//
// Memory is per connection here (every subscribed connection is a member), so each member is
// one set node holding its own fields, and the user index holds pointers to the members (set
// nodes never move) instead of copies of their keys: a member costs one node, one pointer in
// its user's list, and its client id.
#include "switchboard/engine/memory/memory_presence.hpp"

#include <algorithm>
#include <mutex>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "complete_on_exit.hpp"
#include "string_map.hpp"
#include "sweeper.hpp"

namespace switchboard::engine {
namespace {

using memory_detail::find_or_add;
using memory_detail::StringMap;

// One client in one channel. client_id is the set's key and never changes; the rest is
// updated in place when the client refreshes its entry.
struct Member {
  std::string client_id;
  mutable std::string user_id;
  mutable std::string node_id;
  mutable TimePoint expires;  // live while now < expires
};

struct MemberHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view client_id) const noexcept {
    return std::hash<std::string_view>{}(client_id);
  }
  std::size_t operator()(const Member& m) const noexcept { return (*this)(m.client_id); }
};

struct MemberEqual {
  using is_transparent = void;
  static std::string_view key(std::string_view client_id) noexcept { return client_id; }
  static std::string_view key(const Member& m) noexcept { return m.client_id; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const noexcept {
    return key(a) == key(b);
  }
};

using Members = std::unordered_set<Member, MemberHash, MemberEqual>;

// A user's reasons to be online: its members in every channel, and a touch.
struct User {
  TimePoint touched_until;
  std::vector<const Member*> memberships;
};

bool user_dead(const User& user, TimePoint at) {
  return user.memberships.empty() && at >= user.touched_until;
}

}  // namespace

struct MemoryPresence::Impl {
  NowFn now;
  mutable std::mutex mu;
  StringMap<Members> channels;
  StringMap<User> users;
  memory_detail::Sweeper channel_sweeper;
  memory_detail::Sweeper user_sweeper;

  // The functions below are called under mu. Every member in a channel set is listed in its
  // user's memberships, and only those: each insert or erase of a member goes through them.
  void attach(const Member& m) {
    find_or_add(users, m.user_id)->second.memberships.push_back(&m);
  }

  void detach(const Member& m, TimePoint at) {
    const auto it = users.find(m.user_id);
    if (it == users.end()) return;
    auto& list = it->second.memberships;
    const auto pos = std::find(list.begin(), list.end(), &m);
    if (pos != list.end()) {
      *pos = list.back();
      list.pop_back();
    }
    if (user_dead(it->second, at)) users.erase(it);
  }

  // Drops the channel's expired members; true when none is left.
  bool prune_members(Members& members, TimePoint at) {
    for (auto it = members.begin(); it != members.end();) {
      if (at >= it->expires) {
        detach(*it, at);
        it = members.erase(it);
      } else {
        ++it;
      }
    }
    return members.empty();
  }

  // After the caller is done with any reference into the maps.
  void maybe_sweep(TimePoint at) {
    if (channel_sweeper.tick()) {
      channel_sweeper.sweep(channels, [this, at](Members& m) { return prune_members(m, at); });
    }
    if (user_sweeper.tick()) {
      user_sweeper.sweep(users, [at](const User& u) { return user_dead(u, at); });
    }
  }
};

MemoryPresence::MemoryPresence(NowFn now) : impl_(std::make_unique<Impl>()) {
  impl_->now = std::move(now);
}

MemoryPresence::~MemoryPresence() = default;

void MemoryPresence::add(std::string_view channel, PresenceEntry entry,
                         std::chrono::milliseconds ttl, Completion done) {
  const memory_detail::CompleteOnExit complete(std::move(done));  // after the lock
  const TimePoint at = impl_->now();
  const TimePoint expires = at + ttl;
  std::lock_guard lock(impl_->mu);
  Members& members = find_or_add(impl_->channels, channel)->second;
  const auto it = members.find(std::string_view(entry.client_id));
  if (it == members.end()) {
    const Member& m = *members
                           .insert(Member{std::move(entry.client_id), std::move(entry.user_id),
                                          std::move(entry.node_id), expires})
                           .first;
    impl_->attach(m);
  } else {
    if (it->user_id != entry.user_id) {
      // The client now speaks for another user: move the membership between users.
      impl_->detach(*it, at);
      it->user_id = std::move(entry.user_id);
      impl_->attach(*it);
    }
    it->node_id = std::move(entry.node_id);
    it->expires = expires;
  }
  impl_->maybe_sweep(at);
}

void MemoryPresence::remove(std::string_view channel, std::string_view client_id,
                            Completion done) {
  const memory_detail::CompleteOnExit complete(std::move(done));  // after the lock
  const TimePoint at = impl_->now();
  std::lock_guard lock(impl_->mu);
  const auto ch = impl_->channels.find(channel);
  if (ch == impl_->channels.end()) return;
  const auto it = ch->second.find(client_id);
  if (it == ch->second.end()) return;
  impl_->detach(*it, at);
  ch->second.erase(it);
  if (ch->second.empty()) impl_->channels.erase(ch);
}

void MemoryPresence::members(std::string_view channel,
                             ResultCallback<std::vector<PresenceEntry>> done) {
  std::vector<PresenceEntry> live;
  const TimePoint at = impl_->now();
  {
    std::lock_guard lock(impl_->mu);
    const auto ch = impl_->channels.find(channel);
    if (ch != impl_->channels.end()) {
      if (impl_->prune_members(ch->second, at)) {
        impl_->channels.erase(ch);
      } else {
        live.reserve(ch->second.size());
        for (const Member& m : ch->second) live.push_back({m.client_id, m.user_id, m.node_id});
      }
    }
  }
  if (done) done({}, std::move(live));
}

void MemoryPresence::touch_user(std::string_view user_id, std::chrono::milliseconds ttl,
                                Completion done) {
  const memory_detail::CompleteOnExit complete(std::move(done));  // after the lock
  const TimePoint at = impl_->now();
  std::lock_guard lock(impl_->mu);
  find_or_add(impl_->users, user_id)->second.touched_until = at + ttl;
  impl_->maybe_sweep(at);
}

void MemoryPresence::user_online(std::string_view user_id, ResultCallback<bool> done) {
  bool online = false;
  const TimePoint at = impl_->now();
  {
    std::lock_guard lock(impl_->mu);
    const auto it = impl_->users.find(user_id);
    if (it != impl_->users.end()) {
      const User& user = it->second;
      online = at < user.touched_until ||
               std::any_of(user.memberships.begin(), user.memberships.end(),
                           [at](const Member* m) { return at < m->expires; });
      if (user_dead(user, at)) impl_->users.erase(it);
    }
  }
  if (done) done({}, online);
}

std::size_t MemoryPresence::channel_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->channels.size();
}

std::size_t MemoryPresence::user_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->users.size();
}

}  // namespace switchboard::engine
