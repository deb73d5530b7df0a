#include "process_stats.hpp"

#include <sys/resource.h>

#include <fstream>
#include <string>

namespace switchboard::bench {

std::optional<std::uint64_t> read_rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) {
      try {
        return std::stoull(line.substr(6));  // "VmRSS:    12345 kB"
      } catch (...) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

std::uint64_t raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

}  // namespace switchboard::bench
