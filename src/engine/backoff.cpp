// Exponential, jittered reconnect delays.
#include "switchboard/engine/backoff.hpp"

#include <algorithm>

namespace switchboard::engine {

Backoff::Backoff(Duration initial, Duration max, std::uint64_t seed)
    : initial_(std::max(initial, Duration(1))),
      max_(std::max(max, initial_)),
      ceiling_(initial_),
      rng_(seed) {}

Backoff::Duration Backoff::next() {
  const Duration ceiling = ceiling_;
  ceiling_ = std::min(ceiling_ * 2, max_);
  std::uniform_int_distribution<Duration::rep> pick(ceiling.count() / 2, ceiling.count());
  return Duration(std::max<Duration::rep>(1, pick(rng_)));
}

}  // namespace switchboard::engine
