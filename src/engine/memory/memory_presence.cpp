// MemoryPresence: channel → members, plus a per-user index for user_online() and for the
// counts add() and remove() answer (a user's live entries in one channel).
//
// Memory is per connection here (every subscribed connection is a member), so each member is
// one set node holding its own fields, and the user index holds pointers to the members (set
// nodes never move) instead of copies of their keys: a member costs one node, one pointer in
// its user's list, and its client id. Node ids are interned (a cluster has a handful), so a
// member points at its node's instead of holding a copy. A user's members in one channel are
// found by walking the user's list — a user has a few connections in a few channels — rather
// than through a per-channel index of users, which cost a map entry and a list per member.
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
struct Channel;

struct Member {
  std::string client_id;
  mutable std::string user_id;
  mutable const std::string* node_id;  // interned (Impl::node_ids)
  const Channel* channel;              // the channel whose set holds it
  mutable TimePoint expires;           // live while now < expires
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

// One channel: its members. (Channel values live in map nodes, which never move: members
// point at theirs.)
struct Channel {
  Members members;
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
  memory_detail::InternedStrings node_ids;
  memory_detail::Sweeper channel_sweeper;
  memory_detail::Sweeper user_sweeper;

  // The functions below are called under mu. Every member in a channel set is listed in its
  // user's memberships, and only there: each insert or erase of a member goes through them.
  void attach(const Member& m) { find_or_add(users, m.user_id)->second.memberships.push_back(&m); }

  void detach(const Member& m, TimePoint at) {
    const auto it = users.find(m.user_id);
    if (it == users.end()) return;
    unlist(it->second.memberships, m);
    if (user_dead(it->second, at)) users.erase(it);
  }

  // The user's live entries in `ch`.
  std::size_t live_entries_of(const Channel& ch, std::string_view user_id, TimePoint at) const {
    const auto it = users.find(user_id);
    if (it == users.end()) return 0;
    const MemberList& list = it->second.memberships;
    return static_cast<std::size_t>(std::count_if(list.begin(), list.end(), [&](const Member* m) {
      return m->channel == &ch && at < m->expires;
    }));
  }

  // Drops the channel's expired members; true when none is left.
  bool prune_members(Channel& ch, TimePoint at) {
    for (auto it = ch.members.begin(); it != ch.members.end();) {
      if (at >= it->expires) {
        detach(*it, at);
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
                                 impl_->node_ids.intern(std::move(entry.node_id)), &ch, expires})
                  .first;
    impl_->attach(*added);
  } else {
    if (it->user_id != entry.user_id) {
      // The client now speaks for another user: move the membership between users.
      impl_->detach(*it, at);
      it->user_id = std::move(entry.user_id);
      impl_->attach(*it);
    }
    it->node_id = impl_->node_ids.intern(std::move(entry.node_id));
    it->expires = expires;
    added = &*it;
  }
  // Live now, whatever it was before: the others are the rest.
  answer.value = impl_->live_entries_of(ch, added->user_id, at) - 1;
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
  impl_->detach(*it, at);
  ch->second.members.erase(it);
  // A client whose entry had expired already left: it answers 0 like an unknown one.
  if (was_live) answer.value = impl_->live_entries_of(ch->second, user_id, at);
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
          live.push_back({m.client_id, m.user_id, *m.node_id});
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
