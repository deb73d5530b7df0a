#pragma once
// Gives the heap's free memory back to the system after a burst of connections.
//
// glibc's allocator keeps what it freed for reuse. A burst of connections frees a lot at
// once: the handshakes' buffers, and on the Redis engine every connection's engine calls in
// flight (a client connecting costs about ten). Measured with 5,000 clients connecting at
// once: the node then held 4.3 KiB of RSS per idle connection on the Redis engine and 2.5 on
// the memory engine, and after malloc_trim less than it held before they came. So once
// `min_connections` connections were accepted (or closed) since the last trim and none was
// accepted for `quiet`, the node trims: malloc_trim(0) on the housekeeping thread, which
// returns every free page. Never on the data path, never more than once per burst.
#include <chrono>
#include <cstdint>

namespace switchboard::node {

class MemoryTrimmer {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::uint64_t min_connections = 1000;  // 0: never trims
    std::chrono::milliseconds quiet{1000};
  };

  explicit MemoryTrimmer(Options options) : options_(options) {}

  // Called once a tick with the connections accepted so far (a running total), those open
  // now, and the time. True when the caller should trim now (and it is then counted as done).
  bool due(std::uint64_t accepted_total, std::uint64_t open, Clock::time_point now);

 private:
  Options options_;
  // Counted from the start: the connections of the first second are a burst like any other.
  std::uint64_t accepted_at_trim_ = 0;  // accepted_total at the last trim
  std::uint64_t open_peak_ = 0;         // most connections open since the last trim
  std::uint64_t accepted_seen_ = 0;     // accepted_total at the last call
  Clock::time_point last_accept_{};     // when accepted_total last grew
};

// What one trim gave back: the process's resident set before and after, in bytes.
struct TrimResult {
  std::uint64_t rss_before = 0;
  std::uint64_t rss_after = 0;
};
TrimResult trim_memory();

}  // namespace switchboard::node
