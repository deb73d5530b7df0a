#include "process_stats.hpp"

#include <sys/resource.h>

#include <unistd.h>

#include <fstream>
#include <sstream>
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

std::optional<double> read_cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  // The command name may contain spaces and parentheses: the fields start after the last ')'.
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 1));
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  // Fields 3..13 precede utime (14) and stime (15).
  for (int i = 3; i <= 13 && fields >> field; ++i) {
  }
  if (!(fields >> utime >> stime)) return std::nullopt;
  const long ticks = sysconf(_SC_CLK_TCK);
  if (ticks <= 0) return std::nullopt;
  return static_cast<double>(utime + stime) / static_cast<double>(ticks);
}

std::optional<std::uint64_t> read_rss_kib(const std::vector<int>& pids) {
  std::uint64_t total = 0;
  for (const int pid : pids) {
    const auto one = read_rss_kib(static_cast<pid_t>(pid));
    if (!one) return std::nullopt;
    total += *one;
  }
  return total;
}

std::optional<double> read_cpu_seconds(const std::vector<int>& pids) {
  double total = 0;
  for (const int pid : pids) {
    const auto one = read_cpu_seconds(static_cast<pid_t>(pid));
    if (!one) return std::nullopt;
    total += *one;
  }
  return total;
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
