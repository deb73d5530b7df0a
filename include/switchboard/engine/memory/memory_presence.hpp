#pragma once
// MemoryPresence: the single-node PresenceStore. channel → client_id → (entry, expiry) with
// the channel's entries by user (the counts add() and remove() answer), and user → (touch
// expiry, the user's entries' expiries) so that user_online() does not scan channels. Expired entries are filtered on every read and swept a few at a time as the
// store is used.
//
// Thread safety: every method may be called from any thread concurrently (one mutex; presence
// changes at connection and subscription rate, not message rate). Callbacks run on the
// caller's thread before the call returns, outside the lock.
#include <chrono>
#include <cstddef>
#include <memory>

#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/presence_store.hpp"

namespace switchboard::engine {

class MemoryPresence final : public PresenceStore {
 public:
  explicit MemoryPresence(NowFn now = system_now());
  ~MemoryPresence() override;

  void add(std::string_view channel, PresenceEntry entry, std::chrono::milliseconds ttl,
           ResultCallback<std::size_t> done) override;
  void remove(std::string_view channel, std::string_view client_id,
              ResultCallback<std::size_t> done) override;
  void members(std::string_view channel, ResultCallback<std::vector<PresenceEntry>> done) override;
  void touch_user(std::string_view user_id, std::chrono::milliseconds ttl,
                  Completion done) override;
  void user_online(std::string_view user_id, ResultCallback<bool> done) override;

  // Channels and users held, expired ones not yet swept included (for tests and metrics).
  std::size_t channel_count() const;
  std::size_t user_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchboard::engine
