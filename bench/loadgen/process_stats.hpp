// Facts about processes the load generator needs: a server's resident memory and CPU time and this
// process's open-file limit.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace switchboard::bench {

// VmRSS of `pid` in KiB from /proc/<pid>/status; nullopt if unreadable.
std::optional<std::uint64_t> read_rss_kib(pid_t pid);

// User + system CPU seconds of `pid` (all its threads) from /proc/<pid>/stat; nullopt if
// unreadable.
std::optional<double> read_cpu_seconds(pid_t pid);

// The same summed over several processes (a cluster's nodes and its Redis); nullopt if any is
// unreadable.
std::optional<std::uint64_t> read_rss_kib(const std::vector<int>& pids);
std::optional<double> read_cpu_seconds(const std::vector<int>& pids);

// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the resulting soft limit.
std::uint64_t raise_open_file_limit();

}  // namespace switchboard::bench
