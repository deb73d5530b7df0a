#pragma once
// PresenceStore: who is in a channel, with a TTL refreshed while the connection lives, and
// whether a user is online anywhere.
//
// Contract (tests/contract/presence_contract.hpp):
// - add() inserts or refreshes (client_id is the key) and sets the entry's expiry to now+ttl;
//   an entry is live while now < its expiry;
// - entries past their expiry are not returned (whether or not a sweep removed them yet);
// - remove() deletes at once (an unknown client is a no-op); members() lists each live client
//   once, in no particular order;
// - add() answers how many OTHER live entries of the entry's user the channel holds after it
//   (0: the user's first live entry in the channel, on any node); remove() answers how many
//   live entries of the removed client's user the channel still holds (0: its last one left;
//   a client without a live entry — unknown or expired — answers 0). Each is one atomic step:
//   of several adds of one user's clients racing on any nodes, exactly one answers 0 (unless
//   removes come between), and of several removes of its last clients, exactly one answers 0.
//   The node announces presence.join / presence.leave from these answers;
// - user_online() is true while any live entry in any channel, or a live touch_user(), names
//   the user;
// - calls from one thread take effect in the order they were made (a members() after an add()
//   sees it); every call completes exactly once, with an empty error_code once it took effect,
//   or an EngineErrc and no value (a completion may be empty).
//
// Thread safety: every method may be called from any thread concurrently. Callbacks may run
// on any thread (the memory store runs them on the caller's thread before returning).
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/engine/error.hpp"

namespace switchboard::engine {

struct PresenceEntry {
  std::string client_id;  // the connection's session id
  std::string user_id;
  std::string node_id;
  friend bool operator==(const PresenceEntry&, const PresenceEntry&) = default;
};

class PresenceStore {
 public:
  virtual ~PresenceStore() = default;
  // (Default arguments on this interface bind through the interface: call it through one.)
  // Answers the other live entries of entry.user_id in the channel (the contract above).
  virtual void add(std::string_view channel, PresenceEntry entry, std::chrono::milliseconds ttl,
                   ResultCallback<std::size_t> done = {}) = 0;
  // Answers the live entries of the removed client's user left in the channel.
  virtual void remove(std::string_view channel, std::string_view client_id,
                      ResultCallback<std::size_t> done = {}) = 0;
  virtual void members(std::string_view channel,
                       ResultCallback<std::vector<PresenceEntry>> done) = 0;
  // Marks a user online for `ttl` independently of channels (refreshed by live connections).
  virtual void touch_user(std::string_view user_id, std::chrono::milliseconds ttl,
                          Completion done = {}) = 0;
  virtual void user_online(std::string_view user_id, ResultCallback<bool> done) = 0;
};

}  // namespace switchboard::engine
