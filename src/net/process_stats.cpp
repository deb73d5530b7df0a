#include "switchboard/net/process_stats.hpp"

#include <malloc.h>
#include <unistd.h>

#include <cstdio>

namespace switchboard::net {

std::uint64_t resident_memory_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  const int read = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return read == 2 ? static_cast<std::uint64_t>(resident) *
                         static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE))
                   : 0;
}

HeapUsage heap_usage() {
  const struct mallinfo2 info = ::mallinfo2();
  return {static_cast<std::uint64_t>(info.arena + info.hblkhd),
          static_cast<std::uint64_t>(info.uordblks + info.hblkhd)};
}

}  // namespace switchboard::net
