#pragma once
// What the process itself uses, as /metrics, the JSON statistics and the memory trimmer read it.
#include <cstdint>

namespace switchboard::net {

// The resident set size in bytes (/proc/self/statm); 0 when it cannot be read.
std::uint64_t resident_memory_bytes();

// The C heap as glibc's malloc sees it (mallinfo2): bytes obtained from the system (arenas and
// mmapped blocks) and bytes handed out of them. Walks every arena: for a scrape, not per message.
struct HeapUsage {
  std::uint64_t total = 0;
  std::uint64_t used = 0;
};
HeapUsage heap_usage();

}  // namespace switchboard::net
