#pragma once
// OfflineStore: acknowledged messages sent to a user who has no connection anywhere, kept for
// their next connection.
//
// Contract (tests/contract/offline_contract.hpp):
// - push() keeps at most `max_messages` per user (the oldest is dropped and counted in the
//   result; with max_messages 0 the pushed message itself is dropped and counted) and each
//   message at most `ttl` (live while now < push time + ttl); expired messages are not
//   counted as dropped;
// - a message whose id (when not empty) the user's store already holds is not kept twice
//   (two devices giving back the same unacknowledged message leave one copy, where it was);
// - take() returns the user's live messages oldest first and forgets them;
// - calls from one thread take effect in the order they were made; every call completes
//   exactly once, with an empty error_code once it took effect, or an EngineErrc and no value
//   (a failed push kept nothing; a failed take forgot nothing).
//
// Thread safety: every method may be called from any thread concurrently. Callbacks may run
// on any thread (the memory store runs them on the caller's thread before returning).
#include <chrono>
#include <cstddef>
#include <functional>
#include <string_view>
#include <vector>

#include "switchboard/engine/error.hpp"
#include "switchboard/engine/publication.hpp"

namespace switchboard::engine {

struct OfflineLimits {
  std::size_t max_messages = 100;
  std::chrono::milliseconds ttl{std::chrono::hours(24)};
};

class OfflineStore {
 public:
  virtual ~OfflineStore() = default;
  // `done` receives how many older messages were dropped to make room (0 normally).
  virtual void push(std::string_view user_id, PublicationPtr publication,
                    const OfflineLimits& limits, ResultCallback<std::size_t> done) = 0;
  virtual void take(std::string_view user_id, ResultCallback<std::vector<PublicationPtr>> done) = 0;
};

}  // namespace switchboard::engine
