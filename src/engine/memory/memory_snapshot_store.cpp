// MemorySnapshotStore: channel → (bytes, expiry).
#include "switchboard/engine/memory/memory_snapshot_store.hpp"

#include <mutex>
#include <string>
#include <utility>

#include "complete_on_exit.hpp"
#include "string_map.hpp"
#include "sweeper.hpp"

namespace switchboard::engine {
namespace {

struct Held {
  std::string bytes;
  TimePoint expires;  // live while now < expires
};

}  // namespace

struct MemorySnapshotStore::Impl {
  NowFn now;
  mutable std::mutex mu;
  memory_detail::StringMap<Held> channels;
  memory_detail::Sweeper sweeper;
};

MemorySnapshotStore::MemorySnapshotStore(NowFn now) : impl_(std::make_unique<Impl>()) {
  impl_->now = std::move(now);
}

MemorySnapshotStore::~MemorySnapshotStore() = default;

void MemorySnapshotStore::set(std::string_view channel, std::string bytes,
                              std::chrono::milliseconds ttl, Completion done) {
  memory_detail::CompleteOnExit complete(std::move(done));
  const TimePoint at = impl_->now();
  std::lock_guard lock(impl_->mu);
  Held& held = memory_detail::find_or_add(impl_->channels, channel)->second;
  held.bytes = std::move(bytes);
  held.expires = at + ttl;
  if (impl_->sweeper.tick()) {
    impl_->sweeper.sweep(impl_->channels, [at](const Held& h) { return at >= h.expires; });
  }
}

void MemorySnapshotStore::get(std::string_view channel,
                              ResultCallback<std::optional<std::string>> done) {
  std::optional<std::string> found;
  const TimePoint at = impl_->now();
  {
    std::lock_guard lock(impl_->mu);
    const auto it = impl_->channels.find(channel);
    if (it != impl_->channels.end()) {
      if (at < it->second.expires) {
        found = it->second.bytes;
      } else {
        impl_->channels.erase(it);
      }
    }
  }
  if (done) done({}, std::move(found));
}

void MemorySnapshotStore::remove(std::string_view channel, Completion done) {
  memory_detail::CompleteOnExit complete(std::move(done));
  std::lock_guard lock(impl_->mu);
  const auto it = impl_->channels.find(channel);
  if (it != impl_->channels.end()) impl_->channels.erase(it);
}

std::size_t MemorySnapshotStore::stored_bytes() const {
  std::lock_guard lock(impl_->mu);
  std::size_t total = 0;
  for (const auto& [channel, held] : impl_->channels) total += held.bytes.size();
  return total;
}

}  // namespace switchboard::engine
