#include "switchboard/config/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "log_level_name.hpp"

namespace switchboard::config {
namespace {

thread_local std::optional<unsigned> t_worker;

// `%w` in the console pattern: "w3" on a worker thread, "t<thread id>" elsewhere.
class WorkerFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    if (t_worker) {
      fmt::format_to(std::back_inserter(dest), "w{}", *t_worker);
    } else {
      fmt::format_to(std::back_inserter(dest), "t{}", msg.thread_id);
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<WorkerFlag>();
  }
};

// `%q` in the console pattern: the level as log_level spells it ("warn", not spdlog's
// "warning"), padded so that messages line up.
class LevelFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    fmt::format_to(std::back_inserter(dest), "{:<8}", log_level_name(msg.level));
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelFlag>();
  }
};

spdlog::level::level_enum parse_level(std::string_view name) {
  for (int i = spdlog::level::trace; i <= spdlog::level::off; ++i) {
    const auto level = static_cast<spdlog::level::level_enum>(i);
    if (log_level_name(level) == name) return level;
  }
  return spdlog::level::info;
}

std::unique_ptr<spdlog::formatter> make_console_formatter() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<WorkerFlag>('w').add_flag<LevelFlag>('q').set_pattern(
      "%Y-%m-%dT%H:%M:%S.%eZ %^%q%$ [%w] %v");
  return formatter;
}

}  // namespace

void setup_logging(const Config& config) {
  spdlog::sink_ptr sink;
  if (config.log_format == LogFormat::json) {
    // No colour codes in JSON: a collector reads it.
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    sink->set_formatter(make_json_formatter());
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    sink->set_formatter(make_console_formatter());
  }
  auto logger = std::make_shared<spdlog::logger>("", std::move(sink));
  logger->set_level(parse_level(config.log_level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

void set_log_worker(unsigned worker) {
  t_worker = worker;
}

std::optional<unsigned> log_worker() {
  return t_worker;
}

}  // namespace switchboard::config
