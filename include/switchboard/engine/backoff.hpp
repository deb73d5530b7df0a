#pragma once
// Backoff: the delays between reconnect attempts. Exponential (doubling from `initial` up to
// `max`) so that a server (Redis, RabbitMQ) that stays down costs us little, and jittered (each delay drawn
// uniformly from [d/2, d]) so that the nodes of a cluster, which all lost Redis at the same
// moment, do not all come back in the same millisecond.
//
// Thread safety: none (one per connection, used on its executor).
#include <chrono>
#include <cstdint>
#include <random>

namespace switchboard::engine {

class Backoff {
 public:
  using Duration = std::chrono::milliseconds;

  // `initial` and `max` are clamped to at least 1 ms, `max` to at least `initial`.
  Backoff(Duration initial, Duration max, std::uint64_t seed = std::random_device{}());

  // The delay before the next attempt; each call doubles the ceiling until `max`.
  Duration next();
  // After a success: the next failure starts again from `initial`.
  void reset() noexcept { ceiling_ = initial_; }

 private:
  Duration initial_;
  Duration max_;
  Duration ceiling_;
  std::mt19937_64 rng_;
};

}  // namespace switchboard::engine
