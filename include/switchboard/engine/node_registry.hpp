#pragma once
// NodeRegistry: which nodes hold connections of a user (send-to-user across nodes), and
// which nodes are alive. Entries expire unless refreshed.
//
// Contract (tests/contract/node_registry_contract.hpp):
// - register_user(user, node, ttl) adds or refreshes (expiry now+ttl; live while now < it);
//   nodes_of(user) lists each live node once, in no particular order;
// - unregister_user(user, node) removes that pair at once; expired pairs are not listed;
// - calls from one thread take effect in the order they were made; every call completes
//   exactly once, with an empty error_code once it took effect, or an EngineErrc and no value
//   (a completion may be empty).
//
// Thread safety: every method may be called from any thread concurrently. Callbacks may run
// on any thread (the memory registry runs them on the caller's thread before returning).
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/engine/error.hpp"

namespace switchboard::engine {

class NodeRegistry {
 public:
  virtual ~NodeRegistry() = default;
  // (Default arguments on this interface bind through the interface: call it through one.)
  virtual void register_user(std::string_view user_id, std::string_view node_id,
                             std::chrono::milliseconds ttl, Completion done = {}) = 0;
  virtual void unregister_user(std::string_view user_id, std::string_view node_id,
                               Completion done = {}) = 0;
  virtual void nodes_of(std::string_view user_id, ResultCallback<std::vector<std::string>> done) = 0;
};

}  // namespace switchboard::engine
