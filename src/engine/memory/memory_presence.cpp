// MemoryPresence: channel → members, plus a per-user index for user_online().
#include "switchboard/engine/memory/memory_presence.hpp"

#include <mutex>
#include <string>
#include <utility>

#include "string_map.hpp"
#include "sweeper.hpp"

namespace switchboard::engine {
namespace {

using memory_detail::find_or_add;
using memory_detail::StringMap;

struct Member {
  PresenceEntry entry;
  TimePoint expires;  // live while now < expires
};

using Members = StringMap<Member>;  // client_id → member

// A user's reasons to be online. Memberships mirror the expiries held in the channels, so
// that an entry dead in one index is dead in the other without cross-updates; only remove()
// and a client changing user touch both.
struct User {
  TimePoint touched_until;
  StringMap<TimePoint> memberships;  // membership_key(channel, client_id) → expiry
};

std::string membership_key(std::string_view channel, std::string_view client_id) {
  std::string key;
  key.reserve(channel.size() + 1 + client_id.size());
  key.append(channel).push_back('\0');  // '\0' cannot be confused with a channel character
  key.append(client_id);
  return key;
}

bool prune_members(Members& members, TimePoint at) {
  std::erase_if(members, [at](const auto& m) { return at >= m.second.expires; });
  return members.empty();
}

bool prune_user(User& user, TimePoint at) {
  std::erase_if(user.memberships, [at](const auto& m) { return at >= m.second; });
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

  // Called under mu.
  void forget_membership(std::string_view user_id, const std::string& key) {
    const auto it = users.find(user_id);
    if (it != users.end()) it->second.memberships.erase(key);
  }

  // Called under mu, after the caller is done with any reference into the maps.
  void maybe_sweep(TimePoint at) {
    if (channel_sweeper.tick()) {
      channel_sweeper.sweep(channels, [at](Members& m) { return prune_members(m, at); });
    }
    if (user_sweeper.tick()) {
      user_sweeper.sweep(users, [at](User& u) { return prune_user(u, at); });
    }
  }
};

MemoryPresence::MemoryPresence(NowFn now) : impl_(std::make_unique<Impl>()) {
  impl_->now = std::move(now);
}

MemoryPresence::~MemoryPresence() = default;

void MemoryPresence::add(std::string_view channel, PresenceEntry entry,
                         std::chrono::milliseconds ttl) {
  const TimePoint at = impl_->now();
  const TimePoint expires = at + ttl;
  std::string key = membership_key(channel, entry.client_id);
  std::lock_guard lock(impl_->mu);
  Members& members = find_or_add(impl_->channels, channel)->second;
  auto it = members.find(entry.client_id);
  if (it != members.end() && it->second.entry.user_id != entry.user_id) {
    impl_->forget_membership(it->second.entry.user_id, key);
  }
  find_or_add(impl_->users, entry.user_id)
      ->second.memberships.insert_or_assign(std::move(key), expires);
  if (it == members.end()) {
    std::string client_id = entry.client_id;
    members.emplace(std::move(client_id), Member{std::move(entry), expires});
  } else {
    it->second = Member{std::move(entry), expires};
  }
  impl_->maybe_sweep(at);
}

void MemoryPresence::remove(std::string_view channel, std::string_view client_id) {
  std::lock_guard lock(impl_->mu);
  const auto ch = impl_->channels.find(channel);
  if (ch == impl_->channels.end()) return;
  const auto it = ch->second.find(client_id);
  if (it == ch->second.end()) return;
  impl_->forget_membership(it->second.entry.user_id, membership_key(channel, client_id));
  ch->second.erase(it);
  if (ch->second.empty()) impl_->channels.erase(ch);
}

void MemoryPresence::members(std::string_view channel,
                             std::function<void(std::vector<PresenceEntry>)> done) {
  std::vector<PresenceEntry> live;
  const TimePoint at = impl_->now();
  {
    std::lock_guard lock(impl_->mu);
    const auto ch = impl_->channels.find(channel);
    if (ch != impl_->channels.end()) {
      if (prune_members(ch->second, at)) {
        impl_->channels.erase(ch);
      } else {
        live.reserve(ch->second.size());
        for (const auto& [id, member] : ch->second) live.push_back(member.entry);
      }
    }
  }
  if (done) done(std::move(live));
}

void MemoryPresence::touch_user(std::string_view user_id, std::chrono::milliseconds ttl) {
  const TimePoint at = impl_->now();
  std::lock_guard lock(impl_->mu);
  find_or_add(impl_->users, user_id)->second.touched_until = at + ttl;
  impl_->maybe_sweep(at);
}

void MemoryPresence::user_online(std::string_view user_id, std::function<void(bool)> done) {
  bool online = false;
  const TimePoint at = impl_->now();
  {
    std::lock_guard lock(impl_->mu);
    const auto it = impl_->users.find(user_id);
    if (it != impl_->users.end()) {
      online = !prune_user(it->second, at);
      if (!online) impl_->users.erase(it);
    }
  }
  if (done) done(online);
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
