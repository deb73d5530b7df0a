#pragma once
// NodeRegistry: the connections each user holds, and on which nodes — send-to-user across
// nodes (nodes_of) and the per-user connection limit across nodes (add_connection's limit).
// Each connection is a lease (node, connection id) with a TTL that the node holding it
// refreshes: a node that dies takes its users' connections with it within the TTL.
//
// Contract (tests/contract/node_registry_contract.hpp):
// - add_connection(user, lease, ttl, limit) adds the lease (expiry now+ttl; live while now <
//   it) when the user holds fewer than `limit` live connections, and refreshes it when it is
//   live already (it is counted already, whatever the limit); it answers whether the lease is
//   now live (`admitted`) and the user's live connections after the call. One atomic step:
//   adds racing on any nodes never take a user past `limit`, and a refused add changes
//   nothing. kNoConnectionLimit adds unconditionally (a node refreshing what it admitted);
// - remove_connection(user, lease) removes that lease at once (an unknown one: a no-op);
// - nodes_of(user) lists each node holding a live lease of the user once, in no particular
//   order; connection_count(user) counts the user's live leases; expired leases are neither
//   listed nor counted;
// - calls from one thread take effect in the order they were made, and so do calls from
//   several threads that a lock orders (the node removes a lease and refreshes the others under
//   one lock, so a refresh never writes back a lease removed before it); every call completes
//   exactly once, with an empty error_code once it took effect, or an EngineErrc and a default
//   value (a completion may be empty).
//
// Thread safety: every method may be called from any thread concurrently. Callbacks may run
// on any thread (the memory registry runs them on the caller's thread before returning).
#include <chrono>
#include <cstddef>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/engine/error.hpp"

namespace switchboard::engine {

// One connection of a user: the node holding it and the connection's id there (the session
// id, unique across nodes). The pair is the lease's key.
struct ConnectionLease {
  std::string node_id;
  std::string connection_id;
  friend bool operator==(const ConnectionLease&, const ConnectionLease&) = default;
};

// What add_connection() answers.
struct Admission {
  bool admitted = false;        // the lease is live: added or refreshed
  std::size_t connections = 0;  // the user's live connections after the call
  friend bool operator==(const Admission&, const Admission&) = default;
};

inline constexpr std::size_t kNoConnectionLimit = std::numeric_limits<std::size_t>::max();

class NodeRegistry {
 public:
  virtual ~NodeRegistry() = default;
  // (Default arguments on this interface bind through the interface: call it through one.)
  virtual void add_connection(std::string_view user_id, const ConnectionLease& lease,
                              std::chrono::milliseconds ttl, std::size_t limit,
                              ResultCallback<Admission> done = {}) = 0;
  virtual void remove_connection(std::string_view user_id, const ConnectionLease& lease,
                                 Completion done = {}) = 0;
  virtual void nodes_of(std::string_view user_id, ResultCallback<std::vector<std::string>> done) = 0;
  virtual void connection_count(std::string_view user_id, ResultCallback<std::size_t> done) = 0;
};

}  // namespace switchboard::engine
