// Integrity of one subscriber's stream: every sequence number exactly once, in order.
// A number past the expected one opens a gap (counted as lost until it shows up); a number
// that fills a gap is a reorder; any other number already seen is a duplicate; numbers
// after the last one received are undelivered.
//
// Thread safety: none; one checker per connection, on the connection's thread.
#pragma once

#include <cstdint>
#include <vector>

namespace switchboard::bench {

struct IntegrityCounts {
  std::uint64_t lost = 0;  // skipped: a later number arrived, this one never did
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;
  // The tail that had not arrived when the run ended: late (an overloaded server still
  // queueing it) or lost, indistinguishable from here; reported apart from `lost`.
  std::uint64_t undelivered = 0;

  IntegrityCounts& operator+=(const IntegrityCounts& other) {
    lost += other.lost;
    duplicated += other.duplicated;
    reordered += other.reordered;
    undelivered += other.undelivered;
    return *this;
  }
  // No loss, duplicate or reorder (undelivered tails are judged by the caller).
  bool clean() const { return lost == 0 && duplicated == 0 && reordered == 0; }
};

class SequenceChecker {
 public:
  // For a subscriber that joins a stream already under way (a shard without the
  // publisher): the first number observed, not 0, is where the stream starts.
  void join_midstream() { joined_ = false; }

  void observe(std::uint64_t sequence);

  std::uint64_t next_expected() const { return next_; }

  // Counts once everything up to (excluding) `published` should have arrived: open gaps
  // are losses, the missing tail is undelivered.
  IntegrityCounts finish(std::uint64_t published) const;

 private:
  // Beyond this many missing numbers per subscriber, gaps are only counted, not tracked, so
  // a later arrival from them counts as a duplicate rather than a reorder.
  static constexpr std::size_t kMaxTrackedGaps = 4096;

  std::uint64_t next_ = 0;
  bool joined_ = true;
  std::uint64_t untracked_lost_ = 0;
  std::uint64_t duplicated_ = 0;
  std::uint64_t reordered_ = 0;
  std::vector<std::uint64_t> missing_;  // empty unless something was lost or reordered
};

}  // namespace switchboard::bench
