#pragma once
// Channel snapshots (seed 000): the latest state of a room, delivered to a joiner before the
// room's last events. Set by POST /api/snapshot, or taken from publications whose type is one
// of snapshot_types, and kept in the engine's SnapshotStore, so that a joiner on any node gets
// the state set through any other.
//
// What this node adds to the store:
// - zstd. States are compressed here; the store keeps the compressed bytes. A joiner's copy is
//   decompressed by json(), on the joiner's worker rather than on the store's thread.
// - At most one compression and one write per snapshot_interval per channel: a burst of
//   BoardUpdates costs one. A state set within the interval waits, uncompressed, and is written
//   once the interval has passed, by flush() (the node's once-a-second tick): the last state of
//   a burst is always written, at most interval + 1 s after the previous write. A channel has at
//   most one write in flight, so the store receives a node's states in the order they were set
//   (a state due while one is being written follows when that write completes, from the thread
//   that completed it).
// - This node's newest state, while the store does not have it yet (waiting or being written),
//   is what get() answers, at once: a joiner here never sees an older state than one set here.
// - TTL: a state lives until its set time + its channel's snapshot_ttl; a write passes what is
//   left of that to the store, and a state that expired while waiting is not written.
// - A failed write is reported (`on_failure`) and not retried: the next state replaces it.
// Across nodes the last write wins: a state that waited for the interval on one node may be
// written after a newer one set through another node within that interval.
//
// Thread safety: every method may be called from any thread (one mutex, never held while
// compressing or calling the store; not on the per-message fan-out path: only on snapshot-type
// publications, on subscribe and on the tick). Store completions may run on any thread; the
// store must outlive this object and its calls.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/error.hpp"
#include "switchboard/engine/publication.hpp"
#include "switchboard/engine/snapshot_store.hpp"

namespace switchboard::node {

// A channel's state as get() finds it: this node's own, not written yet (JSON text), or the
// store's (compressed). Snapshots::json() makes the JSON text of either.
struct Snapshot {
  std::shared_ptr<const std::string> json;  // this node's newest state
  std::string compressed;                   // otherwise: the store's bytes
};

class Snapshots {
 public:
  // How long a channel's snapshot lives after it was last set.
  using TtlFn = std::function<std::chrono::milliseconds(std::string_view channel)>;
  // Told of every failed store write (the node counts it).
  using FailureFn = std::function<void(std::error_code)>;

  Snapshots(std::vector<std::string> snapshot_types, std::chrono::milliseconds interval,
            TtlFn ttl, engine::SnapshotStore& store, engine::NowFn now = engine::system_now(),
            FailureFn on_failure = {});

  // Takes the payload of a snapshot-type publication as the channel's state.
  void observe(const engine::Publication& publication);
  // Sets a channel's state (JSON text). `done` (optional) once the store holds it — or a newer
  // state set after it on this node, which replaced it while it waited — with the store's error
  // when that write failed, or with none when the state expired before it could be written.
  void set(const std::string& channel, std::string payload_json, engine::Completion done = {});
  // The channel's latest state: this node's newest while the store does not have it (`done`
  // runs before get() returns), else the store's (`done` on the store's thread; an error when
  // it cannot be read; nullopt when there is none).
  void get(const std::string& channel, engine::ResultCallback<std::optional<Snapshot>> done);
  // The JSON text of a snapshot get() answered; nullopt (counted, logged) when the store's bytes
  // are not a zstd frame this node can read.
  std::optional<std::string> json(const Snapshot& snapshot);
  // Writes the states whose interval has passed, drops the ones that expired while waiting, and
  // forgets channels with nothing left to do (the node's tick, every second).
  void flush();

  // For tests and metrics.
  // States compressed and written to the store (failed writes included).
  std::uint64_t writes() const noexcept { return writes_.load(std::memory_order_relaxed); }
  // Store bytes json() could not decompress.
  std::uint64_t undecodable() const noexcept {
    return undecodable_.load(std::memory_order_relaxed);
  }
  std::size_t held_bytes() const;  // JSON bytes of states the store does not have yet

 private:
  struct Waiting {
    std::shared_ptr<const std::string> json;
    // Live while now < expires. No default member initializer (a time_point starts at the
    // epoch anyway): Clang 14 cannot construct the optional<Waiting> below with one.
    engine::TimePoint expires;
    std::vector<engine::Completion> waiters;
  };
  struct Entry {
    std::optional<Waiting> waiting;              // set within the interval, or during a write
    std::shared_ptr<const std::string> writing;  // the state being written; null when none
    engine::TimePoint last_write{};              // when the last write began
    bool wrote = false;                          // last_write means something
  };
  struct Write {
    std::string channel;
    Waiting state;
  };
  // Under mutex_: the entry's waiting state when it may be written now (nothing in flight, the
  // interval passed), moved to `writing`.
  std::optional<Write> take_due_locked(const std::string& channel, Entry& entry,
                                       engine::TimePoint now);
  void start(Write write);  // compresses and writes; without mutex_
  void written(const std::string& channel, const std::shared_ptr<const std::string>& json,
               std::error_code ec, std::vector<engine::Completion> waiters);

  std::set<std::string, std::less<>> types_;
  std::chrono::milliseconds interval_;
  TtlFn ttl_;
  engine::SnapshotStore& store_;
  engine::NowFn now_;
  FailureFn on_failure_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::atomic<std::uint64_t> writes_{0};
  std::atomic<std::uint64_t> undecodable_{0};
};

}  // namespace switchboard::node
