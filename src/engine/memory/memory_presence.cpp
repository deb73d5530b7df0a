// MemoryPresence: channel → members, plus a per-user index for user_online() and, in each
// channel, a per-user index for the counts add() and remove() answer.
//
// Memory is per connection here (every subscribed connection is a member), so each member is
// one set node holding its own fields, and the user indexes hold pointers to the members (set
// nodes never move) instead of copies of their keys: a member costs one node, one pointer in
// each of its user's lists, and its client id.
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
using MemberList = std::vector<const Member*>;

// Drops `m` from `list` (order does not matter).
void unlist(MemberList& list, const Member& m) {
  const auto pos = std::find(list.begin(), list.end(), &m);
  if (pos == list.end()) return;
  *pos = list.back();
  list.pop_back();
}

// One channel: its members, and each user's members in it (a user has a few connections, so
// counting a user's live entries walks a handful of pointers, not the channel).
struct Channel {
  Members members;
  StringMap<MemberList> by_user;

  std::size_t live_entries_of(std::string_view user_id, TimePoint at) const {
    const auto it = by_user.find(user_id);
    if (it == by_user.end()) return 0;
    return static_cast<std::size_t>(std::count_if(
        it->second.begin(), it->second.end(), [at](const Member* m) { return at < m->expires; }));
  }
};

// A user's reasons to be online: its members in every channel, and a touch.
struct User {
  TimePoint touched_until;
  MemberList memberships;
};

bool user_dead(const User& user, TimePoint at) {
  return user.memberships.empty() && at >= user.touched_until;
}

}  // namespace

struct MemoryPresence::Impl {
  NowFn now;
  mutable std::mutex mu;
  StringMap<Channel> channels;
  StringMap<User> users;
  memory_detail::Sweeper channel_sweeper;
  memory_detail::Sweeper user_sweeper;

  // The functions below are called under mu. Every member in a channel set is listed in its
  // user's memberships and in its channel's by_user, and only there: each insert or erase of
  // a member goes through them.
  void attach(Channel& ch, const Member& m) {
    find_or_add(users, m.user_id)->second.memberships.push_back(&m);
    find_or_add(ch.by_user, m.user_id)->second.push_back(&m);
  }

  void detach(Channel& ch, const Member& m, TimePoint at) {
    if (const auto it = ch.by_user.find(m.user_id); it != ch.by_user.end()) {
      unlist(it->second, m);
      if (it->second.empty()) ch.by_user.erase(it);
    }
    const auto it = users.find(m.user_id);
    if (it == users.end()) return;
    unlist(it->second.memberships, m);
    if (user_dead(it->second, at)) users.erase(it);
  }

  // Drops the channel's expired members; true when none is left.
  bool prune_members(Channel& ch, TimePoint at) {
    for (auto it = ch.members.begin(); it != ch.members.end();) {
      if (at >= it->expires) {
        detach(ch, *it, at);
        it = ch.members.erase(it);
      } else {
        ++it;
      }
    }
    return ch.members.empty();
  }

  // After the caller is done with any reference into the maps.
  void maybe_sweep(TimePoint at) {
    if (channel_sweeper.tick()) {
      channel_sweeper.sweep(channels, [this, at](Channel& ch) { return prune_members(ch, at); });
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
                         std::chrono::milliseconds ttl, ResultCallback<std::size_t> done) {
  memory_detail::AnswerOnExit<std::size_t> answer(std::move(done));  // after the lock
  const TimePoint at = impl_->now();
  const TimePoint expires = at + ttl;
  std::lock_guard lock(impl_->mu);
  Channel& ch = find_or_add(impl_->channels, channel)->second;
  const auto it = ch.members.find(std::string_view(entry.client_id));
  const Member* added = nullptr;
  if (it == ch.members.end()) {
    added = &*ch.members
                  .insert(Member{std::move(entry.client_id), std::move(entry.user_id),
                                 std::move(entry.node_id), expires})
                  .first;
    impl_->attach(ch, *added);
  } else {
    if (it->user_id != entry.user_id) {
      // The client now speaks for another user: move the membership between users.
      impl_->detach(ch, *it, at);
      it->user_id = std::move(entry.user_id);
      impl_->attach(ch, *it);
    }
    it->node_id = std::move(entry.node_id);
    it->expires = expires;
    added = &*it;
  }
  // Live now, whatever it was before: the others are the rest.
  answer.value = ch.live_entries_of(added->user_id, at) - 1;
  impl_->maybe_sweep(at);
}

void MemoryPresence::remove(std::string_view channel, std::string_view client_id,
                            ResultCallback<std::size_t> done) {
  memory_detail::AnswerOnExit<std::size_t> answer(std::move(done));  // after the lock
  const TimePoint at = impl_->now();
  std::lock_guard lock(impl_->mu);
  const auto ch = impl_->channels.find(channel);
  if (ch == impl_->channels.end()) return;
  const auto it = ch->second.members.find(client_id);
  if (it == ch->second.members.end()) return;
  const bool was_live = at < it->expires;
  const std::string user_id = it->user_id;
  impl_->detach(ch->second, *it, at);
  ch->second.members.erase(it);
  // A client whose entry had expired already left: it answers 0 like an unknown one.
  if (was_live) answer.value = ch->second.live_entries_of(user_id, at);
  if (ch->second.members.empty()) impl_->channels.erase(ch);
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
        live.reserve(ch->second.members.size());
        for (const Member& m : ch->second.members) {
          live.push_back({m.client_id, m.user_id, m.node_id});
        }
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
