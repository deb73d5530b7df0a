#pragma once
// MemoryNodeRegistry: the single-node NodeRegistry: user → node → expiry, filtered by expiry
// on every read and swept a few users at a time as the registry is used.
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

  void register_user(std::string_view user_id, std::string_view node_id,
                     std::chrono::milliseconds ttl, Completion done) override;
  void unregister_user(std::string_view user_id, std::string_view node_id,
                       Completion done) override;
  void nodes_of(std::string_view user_id, ResultCallback<std::vector<std::string>> done) override;

  // Users held, expired ones not yet swept included (for tests and metrics).
  std::size_t user_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchboard::engine
