#pragma once
// PresenceAnnouncer: when this node tells a channel that a user joined or left it, so that
// every node of a cluster together announces each user once.
//
// The presence store answers every add and remove with the user's other live entries in the
// channel, in one atomic step across nodes (presence_store.hpp). So the node whose add finds
// none announces presence.join — a second connection anywhere joins silently — and the node
// whose remove leaves none announces presence.leave, after presence_leave_delay and only if
// the user has not come back meanwhile:
//
//   removed, none left ─▶ pending: a timer of presence_leave_delay
//     added, the first again, before the timer ─▶ forgotten: a reload neither leaves nor joins
//     the timer fires ─▶ checking: the store's members() decide, for rejoins on other nodes
//       no live entry of the user ─▶ presence.leave
//       one ─▶ nothing (they are back, on some node)
//     added, the first again, while checking ─▶ remembered: if the read did not see the user,
//       presence.leave then presence.join (the rejoin came after the read); if it did, nothing
//     removed, none left, after that rejoin ─▶ if the read saw the user, pending again
//
// A failed members() read announces the leave (the store said the last entry went). What this
// cannot see: a reload that reconnects to another node within the delay announces a second
// presence.join there (without a leave between), since the pending leave is this node's
// alone; and a node that dies announces nothing — its entries expire after presence_ttl.
//
// Thread safety: added() and removed() may be called from any thread (they are the store's
// answers); the timers and the checks run on the `timers` io_context's thread. `check` and
// `announce` are called without the announcer's lock.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace switchboard::node {

class PresenceAnnouncer {
 public:
  // Whether `user` has a live entry in `channel` (the store's members()); nullopt when the
  // read failed. `answer` may run on any thread.
  using Check = std::function<void(const std::string& channel, const std::string& user,
                                   std::function<void(std::optional<bool> present)> answer)>;
  // Announces presence.join (`joined`) or presence.leave of `user` to `channel`.
  using Announce =
      std::function<void(const std::string& channel, const std::string& user, bool joined)>;

  PresenceAnnouncer(boost::asio::io_context& timers, std::chrono::milliseconds leave_delay,
                    Check check, Announce announce);
  PresenceAnnouncer(const PresenceAnnouncer&) = delete;
  PresenceAnnouncer& operator=(const PresenceAnnouncer&) = delete;
  ~PresenceAnnouncer();

  // The store's answer to adding an entry of `user` in `channel`: its other live entries.
  void added(const std::string& channel, const std::string& user, std::size_t others);
  // The store's answer to removing one: the live entries of the user left in the channel.
  void removed(const std::string& channel, const std::string& user, std::size_t remaining);
  // Drops every pending leave unannounced (the node is stopping). On the timers' thread.
  void stop();

  std::size_t pending() const;  // (channel, user) pairs with a leave pending or being checked

 private:
  struct Pending {
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::uint64_t generation = 0;  // which timer is current: a cancelled one may still fire
    bool checking = false;         // the timer fired: the members() read is in flight
    bool rejoined = false;         // while checking: an add found no other entry
    bool left_again = false;       // while checking, after that: a remove found none left
  };
  using Map = std::unordered_map<std::string, Pending>;  // channel + '\n' + user

  // Under mutex_: (re)starts the entry's timer.
  void arm_locked(const std::string& key, Pending& pending, const std::string& channel,
                  const std::string& user);
  void fire(const std::string& key, std::uint64_t generation, const std::string& channel,
            const std::string& user);
  void checked(const std::string& key, const std::string& channel, const std::string& user,
               std::optional<bool> present);

  boost::asio::io_context& timers_;
  const std::chrono::milliseconds leave_delay_;
  const Check check_;
  const Announce announce_;
  mutable std::mutex mutex_;
  Map pending_;
  std::uint64_t next_generation_ = 0;
};

}  // namespace switchboard::node
