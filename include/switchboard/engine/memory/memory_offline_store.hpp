#pragma once
// MemoryOfflineStore: the single-node OfflineStore: user → messages (oldest first) with their
// expiry. Expired messages are dropped whenever the user is touched; users whose messages all
// expired are swept a few at a time as the store is used.
//
// Thread safety: every method may be called from any thread concurrently (one mutex).
// Callbacks run on the caller's thread before the call returns, outside the lock.
#include <cstddef>
#include <memory>

#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/offline_store.hpp"

namespace switchboard::engine {

class MemoryOfflineStore final : public OfflineStore {
 public:
  explicit MemoryOfflineStore(NowFn now = system_now());
  ~MemoryOfflineStore() override;

  void push(std::string_view user_id, PublicationPtr publication, const OfflineLimits& limits,
            ResultCallback<std::size_t> done) override;
  void take(std::string_view user_id, ResultCallback<std::vector<PublicationPtr>> done) override;

  // Users held, expired ones not yet swept included (for tests and metrics).
  std::size_t user_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchboard::engine
