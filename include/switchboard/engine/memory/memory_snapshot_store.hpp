#pragma once
// MemorySnapshotStore: the single-node SnapshotStore: channel → (bytes, expiry). Expired
// snapshots are dropped when read, and swept a few at a time as the store is used.
//
// Thread safety: every method may be called from any thread concurrently (one mutex).
// Callbacks run on the caller's thread before the call returns, outside the lock.
#include <memory>

#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/snapshot_store.hpp"

namespace switchboard::engine {

class MemorySnapshotStore final : public SnapshotStore {
 public:
  explicit MemorySnapshotStore(NowFn now = system_now());
  ~MemorySnapshotStore() override;

  void set(std::string_view channel, std::string bytes, std::chrono::milliseconds ttl,
           Completion done) override;
  void get(std::string_view channel, ResultCallback<std::optional<std::string>> done) override;
  void remove(std::string_view channel, Completion done) override;

  // Bytes held, expired snapshots not yet swept included (for metrics).
  std::size_t stored_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchboard::engine
