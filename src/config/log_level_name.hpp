#pragma once
// The level names Switchboard prints and accepts (log_level): spdlog's, but "warn" rather than
// "warning" so that what is configured and what is logged read the same.
#include <spdlog/common.h>

#include <string_view>

namespace switchboard::config {

inline std::string_view log_level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

}  // namespace switchboard::config
