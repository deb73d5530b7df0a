#pragma once
// MemoryNodeRegistry: the single-node NodeRegistry: user → connection leases (node,
// connection, expiry), filtered by expiry on every call and swept a few users at a time as the
// registry is used. Each call walks the user's leases: O(the user's connections).
//
// Thread safety: every method may be called from any thread concurrently (one mutex).
// Callbacks run on the caller's thread before the call returns, outside the lock.
#include <chrono>
#include <cstddef>
#include <memory>

#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/node_registry.hpp"

namespace switchboard::engine {

class MemoryNodeRegistry final : public NodeRegistry {
 public:
  explicit MemoryNodeRegistry(NowFn now = system_now());
  ~MemoryNodeRegistry() override;

  void add_connection(std::string_view user_id, const ConnectionLease& lease,
                      std::chrono::milliseconds ttl, std::size_t limit,
                      ResultCallback<Admission> done) override;
  void remove_connection(std::string_view user_id, const ConnectionLease& lease,
                         Completion done) override;
  void nodes_of(std::string_view user_id, ResultCallback<std::vector<std::string>> done) override;
  void connection_count(std::string_view user_id, ResultCallback<std::size_t> done) override;

  // Users held, expired ones not yet swept included (for tests and metrics).
  std::size_t user_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchboard::engine
