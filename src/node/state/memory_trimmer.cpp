// See memory_trimmer.hpp.
#include "memory_trimmer.hpp"

#include <malloc.h>
#include <unistd.h>

#include <cstdio>

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

namespace {

std::uint64_t resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  const int read = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return read == 2 ? static_cast<std::uint64_t>(resident) *
                         static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE))
                   : 0;
}

}  // namespace

TrimResult trim_memory() {
  TrimResult r;
  r.rss_before = resident_bytes();
  ::malloc_trim(0);
  r.rss_after = resident_bytes();
  return r;
}

}  // namespace switchboard::node
