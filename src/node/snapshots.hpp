#pragma once
// Channel snapshots (seed 000): the latest state of a room, delivered to a joiner before the
// room's last events. Set by POST /api/snapshot, or taken from publications whose type is one
// of snapshot_types. Stored zstd-compressed; compressing happens at most once per
// snapshot_interval per channel (a burst of BoardUpdates costs one compression). A snapshot
// not set again within its channel's snapshot_ttl is forgotten, like history: get() no longer
// returns it, and expire() frees it.
//
// Thread safety: every method may be called from any thread (one mutex; not on the per-message
// fan-out path: only on snapshot-type publications and on subscribe).
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/publication.hpp"

namespace switchboard::node {

class Snapshots {
 public:
  // How long a channel's snapshot lives after it was last set.
  using TtlFn = std::function<std::chrono::milliseconds(std::string_view channel)>;

  Snapshots(std::vector<std::string> snapshot_types, std::chrono::milliseconds interval,
            TtlFn ttl, engine::NowFn now = engine::system_now());

  // Takes the payload of a snapshot-type publication as the channel's state.
  void observe(const engine::Publication& publication);
  // Sets a channel's state (JSON text).
  void set(const std::string& channel, std::string payload_json);
  // The channel's latest state (decompressed JSON text), if any.
  std::optional<std::string> get(const std::string& channel);
  void remove(const std::string& channel);
  // Frees every snapshot past its TTL (the node calls it periodically).
  void expire();

  std::size_t compressions() const;  // for tests and metrics
  std::size_t stored_bytes() const;  // compressed bytes held

 private:
  struct Entry {
    std::string compressed;
    std::optional<std::string> pending;  // newer state not compressed yet
    engine::TimePoint compressed_at{};
    engine::TimePoint expires{};  // live while now < expires
  };
  void store_locked(Entry& entry, std::string payload, engine::TimePoint now);

  std::set<std::string, std::less<>> types_;
  std::chrono::milliseconds interval_;
  TtlFn ttl_;
  engine::NowFn now_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::size_t compressions_ = 0;
};

}  // namespace switchboard::node
