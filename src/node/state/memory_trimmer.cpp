// See memory_trimmer.hpp.
#include "memory_trimmer.hpp"

#include <malloc.h>

#include "switchboard/net/process_stats.hpp"

namespace switchboard::node {

bool MemoryTrimmer::due(std::uint64_t accepted_total, std::uint64_t open, Clock::time_point now) {
  if (accepted_total != accepted_seen_) {
    accepted_seen_ = accepted_total;
    last_accept_ = now;
  }
  if (open > open_peak_) open_peak_ = open;
  if (options_.min_connections == 0 || now - last_accept_ < options_.quiet) return false;
  const bool many_came = accepted_total - accepted_at_trim_ >= options_.min_connections;
  const bool many_left = open_peak_ - open >= options_.min_connections;
  if (!many_came && !many_left) return false;
  accepted_at_trim_ = accepted_total;
  open_peak_ = open;
  return true;
}

TrimResult trim_memory() {
  TrimResult r;
  r.rss_before = net::resident_memory_bytes();
  ::malloc_trim(0);
  r.rss_after = net::resident_memory_bytes();
  return r;
}

}  // namespace switchboard::node
