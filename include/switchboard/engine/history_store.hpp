#pragma once
// HistoryStore: the last N publications of each channel, for late joiners and for recovery
// after a reconnect. Offsets increase by one per publication within an epoch.
//
// Contract (tests/contract/history_contract.hpp):
// - append() assigns offset = previous + 1 (the first is 1) and returns the position;
// - a channel keeps at most `size` publications (size 0: offsets advance, nothing is kept),
//   and forgets the whole stream `ttl` after its last append: it is live while
//   now < last append + ttl; afterwards a new epoch starts, so old positions are recognised
//   as lost;
// - read(since) returns the publications after `since`, oldest first, and recovered=true when
//   nothing between `since` and the newest was lost; recovered=false (and the latest `limit`
//   publications) when the epoch differs, the offset fell out of the window, the offset is
//   ahead of the stream, or more than `limit` publications followed it;
// - read(nullopt) returns the latest `limit` publications (late joiners); limit 0 returns
//   only the position;
// - read() of a channel without a stream starts an empty one (offset 0, a fresh epoch) and
//   returns its position, so that a subscriber that saw nothing yet can later recover the
//   first publications; read() never extends a stream's life;
// - remove() forgets the stream at once (the next append starts a new epoch);
// - every call completes exactly once, with an empty error_code once it took effect, or an
//   EngineErrc (unavailable, timeout) and no value; calls from one thread take effect in the
//   order they were made.
//
// Thread safety: every method may be called from any thread concurrently. Callbacks may run
// on any thread (the memory store runs them on the caller's thread before returning).
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/engine/error.hpp"
#include "switchboard/engine/publication.hpp"

namespace switchboard::engine {

struct HistoryOptions {
  std::size_t size = 100;
  std::chrono::milliseconds ttl{std::chrono::minutes(5)};
};

struct HistoryResult {
  std::vector<PublicationPtr> publications;  // oldest first
  StreamPosition position;                   // the channel's current position
  bool recovered = true;                     // false: something in between was lost
};

class HistoryStore {
 public:
  virtual ~HistoryStore() = default;
  // Stores `publication` (its offset and epoch are filled in on the stored copy) and returns
  // it as stored.
  virtual void append(Publication publication, const HistoryOptions& options,
                      ResultCallback<PublicationPtr> done) = 0;
  virtual void read(std::string_view channel, std::optional<StreamPosition> since,
                    std::size_t limit, ResultCallback<HistoryResult> done) = 0;
  // (Default arguments on this interface bind through the interface: call it through one.)
  virtual void remove(std::string_view channel, Completion done = {}) = 0;
};

}  // namespace switchboard::engine
