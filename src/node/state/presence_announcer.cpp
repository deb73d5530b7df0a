// PresenceAnnouncer: join/leave decisions from the presence store's answers. See the header for
// the states.
#include "presence_announcer.hpp"

#include <utility>

namespace switchboard::node {
namespace {

std::string key_of(const std::string& channel, const std::string& user) {
  return channel + '\n' + user;
}

}  // namespace

PresenceAnnouncer::PresenceAnnouncer(boost::asio::io_context& timers,
                                     std::chrono::milliseconds leave_delay, Check check,
                                     Announce announce)
    : timers_(timers),
      leave_delay_(leave_delay),
      check_(std::move(check)),
      announce_(std::move(announce)) {}

PresenceAnnouncer::~PresenceAnnouncer() = default;

void PresenceAnnouncer::added(const std::string& channel, const std::string& user,
                              std::size_t others) {
  if (others > 0) return;  // the user was in the channel already, on this node or another
  {
    std::lock_guard lock(mutex_);
    const auto it = pending_.find(key_of(channel, user));
    if (it != pending_.end()) {
      Pending& p = it->second;
      if (p.checking) {
        // The read decides whether the others ever saw the user go (checked()).
        p.rejoined = true;
        p.left_again = false;
      } else {
        // Back within the delay: neither leave nor join.
        p.timer->cancel();
        pending_.erase(it);
      }
      return;
    }
  }
  announce_(channel, user, true);
}

void PresenceAnnouncer::removed(const std::string& channel, const std::string& user,
                                std::size_t remaining) {
  if (remaining > 0) return;  // still in the channel, on this node or another
  std::lock_guard lock(mutex_);
  const std::string key = key_of(channel, user);
  const auto [it, inserted] = pending_.try_emplace(key);
  Pending& p = it->second;
  if (inserted) return arm_locked(key, p, channel, user);
  // A leave already pending keeps its (earlier) timer; one being checked checks again if the
  // read saw the user, who has gone since.
  if (p.checking) p.left_again = true;
}

void PresenceAnnouncer::arm_locked(const std::string& key, Pending& p, const std::string& channel,
                                   const std::string& user) {
  p.checking = false;
  p.rejoined = false;
  p.left_again = false;
  p.generation = ++next_generation_;
  if (!p.timer) p.timer = std::make_unique<boost::asio::steady_timer>(timers_);
  p.timer->expires_after(leave_delay_);
  p.timer->async_wait(
      [this, key, generation = p.generation, channel, user](const boost::system::error_code& ec) {
        if (!ec) fire(key, generation, channel, user);
      });
}

void PresenceAnnouncer::fire(const std::string& key, std::uint64_t generation,
                             const std::string& channel, const std::string& user) {
  {
    std::lock_guard lock(mutex_);
    const auto it = pending_.find(key);
    // A cancel that came after the timer had expired does not stop the handler.
    if (it == pending_.end() || it->second.generation != generation || it->second.checking) {
      return;
    }
    it->second.checking = true;
  }
  check_(channel, user, [this, key, channel, user](std::optional<bool> present) {
    checked(key, channel, user, present);
  });
}

void PresenceAnnouncer::checked(const std::string& key, const std::string& channel,
                                const std::string& user, std::optional<bool> present) {
  // A failed read announces the leave: the store said the user's last entry went.
  const bool seen = present.value_or(false);
  bool leave = false;
  bool join = false;
  {
    std::lock_guard lock(mutex_);
    const auto it = pending_.find(key);
    if (it == pending_.end() || !it->second.checking) return;  // stopped meanwhile
    Pending& p = it->second;
    leave = !seen;
    // Not seen, yet back since: the rejoin came after the read, and stays unless it left again.
    join = leave && p.rejoined && !p.left_again;
    if (seen && p.left_again) {
      // The read may have seen the rejoin that has left again since: decide once more.
      arm_locked(key, p, channel, user);
    } else {
      pending_.erase(it);
    }
  }
  if (leave) announce_(channel, user, false);
  if (join) announce_(channel, user, true);
}

void PresenceAnnouncer::stop() {
  std::lock_guard lock(mutex_);
  for (auto& [key, p] : pending_) p.timer->cancel();
  pending_.clear();
}

std::size_t PresenceAnnouncer::pending() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

}  // namespace switchboard::node
