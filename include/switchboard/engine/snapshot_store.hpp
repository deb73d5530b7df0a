#pragma once
// SnapshotStore: the latest state of a channel (seed 000's rooms), shared by every node so
// that a joiner on any node gets the state set through any other. The store keeps bytes (the
// node compresses them with zstd and decides how often); it never looks inside.
//
// Contract (tests/contract/snapshot_contract.hpp):
// - set(channel, bytes, ttl) replaces the channel's snapshot (the last set wins) and makes it
//   live while now < set time + ttl;
// - get(channel) returns the live snapshot's bytes exactly (binary safe), or nullopt when there
//   is none or it expired; get() never extends a snapshot's life;
// - remove(channel) forgets it at once;
// - calls from one thread take effect in the order they were made; every call completes
//   exactly once, with an empty error_code once it took effect, or an EngineErrc and no value.
//
// Thread safety: every method may be called from any thread concurrently. Callbacks may run
// on any thread (the memory store runs them on the caller's thread before returning).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "switchboard/engine/error.hpp"

namespace switchboard::engine {

class SnapshotStore {
 public:
  virtual ~SnapshotStore() = default;
  // (Default arguments on this interface bind through the interface: call it through one.)
  virtual void set(std::string_view channel, std::string bytes, std::chrono::milliseconds ttl,
                   Completion done = {}) = 0;
  virtual void get(std::string_view channel,
                   ResultCallback<std::optional<std::string>> done) = 0;
  virtual void remove(std::string_view channel, Completion done = {}) = 0;
};

}  // namespace switchboard::engine
