#pragma once
// The idempotency keys of publishes the memory broker made (Broker contract, broker.hpp): per
// channel and key, the position the first publish was stored at, until its window ends.
//
// Bounded: expired keys are swept as new ones come (Sweeper: about two inspections per
// insert), and at kMaxKeys live keys a new one evicts an arbitrary live one (counted by
// evicted_early()): past the cap a duplicate may get through rather than memory growing.
//
// Thread safety: none; guarded by its owner's lock (the broker's publish stripe).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "string_map.hpp"
#include "sweeper.hpp"
#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/publication.hpp"

namespace switchboard::engine::memory_detail {

class IdempotencyKeys {
 public:
  // Per owner (the broker has 64 stripes: about 256 K keys in all).
  static constexpr std::size_t kMaxKeys = 4096;

  // Where the first publish of `publication`'s key on its channel was stored, while its
  // window lasts at `now`.
  std::optional<StreamPosition> find(const Publication& publication, TimePoint now) const {
    const auto it = keys_.find(idempotency_slot(publication.channel, publication.idempotency_key));
    if (it == keys_.end() || now >= it->second.expires) return std::nullopt;
    return it->second.first;
  }

  // Remembers `publication`'s key at `first` (where it was stored) for its dedupe window.
  void remember(const Publication& publication, StreamPosition first, TimePoint now) {
    if (sweeper_.tick()) {
      sweeper_.sweep(keys_, [now](const Seen& seen) { return now >= seen.expires; });
    }
    auto slot = idempotency_slot(publication.channel, publication.idempotency_key);
    if (keys_.size() >= kMaxKeys && !keys_.contains(slot)) {
      keys_.erase(keys_.begin());
      ++evicted_early_;
    }
    keys_.insert_or_assign(std::move(slot),
                           Seen{std::move(first), now + publication.dedupe_window});
  }

  std::size_t size() const noexcept { return keys_.size(); }
  std::uint64_t evicted_early() const noexcept { return evicted_early_; }

 private:
  struct Seen {
    StreamPosition first;
    TimePoint expires;  // forgotten from then on
  };
  StringMap<Seen> keys_;
  Sweeper sweeper_;
  std::uint64_t evicted_early_ = 0;
};

}  // namespace switchboard::engine::memory_detail
