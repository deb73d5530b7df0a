// The JSON log formatter writes one valid JSON object per line, whatever the message holds.
#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <chrono>
#include <thread>

#include "switchboard/config/logging.hpp"

namespace switchboard::config {
namespace {

using namespace std::chrono;

spdlog::log_clock::time_point fixed_time() {
  return sys_days{year{2024} / May / 1} + 12h + 34min + 56s + 789ms;
}

std::string format(std::string_view payload, spdlog::level::level_enum level = spdlog::level::info,
                   std::string_view logger = "") {
  const spdlog::details::log_msg msg(fixed_time(), spdlog::source_loc{},
                                     spdlog::string_view_t(logger.data(), logger.size()), level,
                                     spdlog::string_view_t(payload.data(), payload.size()));
  spdlog::memory_buf_t buf;
  make_json_formatter()->format(msg, buf);
  return std::string(buf.data(), buf.size());
}

// Parses one formatted line: exactly one trailing newline, and a JSON object before it.
boost::json::object parse_line(const std::string& line) {
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "a log record spans several lines: " << line;
  boost::system::error_code ec;
  auto value = boost::json::parse(line, ec);
  EXPECT_FALSE(ec) << ec.message() << " in " << line;
  if (ec || !value.is_object()) return {};
  return value.as_object();
}

TEST(JsonLogFormatter, FieldsOfARecord) {
  const auto object = parse_line(format("hello", spdlog::level::warn));
  EXPECT_EQ(object.at("ts").as_string(), "2024-05-01T12:34:56.789Z");
  EXPECT_EQ(object.at("level").as_string(), "warn");
  EXPECT_EQ(object.at("msg").as_string(), "hello");
  EXPECT_TRUE(object.at("thread").is_number());
  EXPECT_FALSE(object.contains("worker"));  // this thread never called set_log_worker
  EXPECT_FALSE(object.contains("logger"));
}

TEST(JsonLogFormatter, LevelNames) {
  const std::pair<spdlog::level::level_enum, const char*> levels[] = {
      {spdlog::level::trace, "trace"}, {spdlog::level::debug, "debug"},
      {spdlog::level::info, "info"},   {spdlog::level::warn, "warn"},
      {spdlog::level::err, "error"},   {spdlog::level::critical, "critical"}};
  for (const auto& [level, name] : levels) {
    EXPECT_EQ(parse_line(format("x", level)).at("level").as_string(), name);
  }
}

TEST(JsonLogFormatter, EscapesQuotesControlsAndNewlines) {
  const std::string nasty = "say \"hi\" \\ back\nline two\r\ttab \x01\x1f end }{";
  const auto object = parse_line(format(nasty, spdlog::level::info, "net\"x"));
  EXPECT_EQ(object.at("msg").as_string(), nasty);
  EXPECT_EQ(object.at("logger").as_string(), "net\"x");
}

TEST(JsonLogFormatter, KeepsValidUtf8AndReplacesInvalidBytes) {
  const std::string valid = "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9D\x84\x9E";  // é ✓ 𝄞
  EXPECT_EQ(parse_line(format(valid)).at("msg").as_string(), valid);

  const std::string replacement = "\xEF\xBF\xBD";
  const std::pair<std::string, std::string> invalid[] = {
      {"a\xFF"
       "b",
       "a" + replacement + "b"},
      {"\xC0\xAF", replacement + replacement},                    // overlong '/'
      {"\xED\xA0\x80", replacement + replacement + replacement},  // surrogate U+D800
      {"end\xE2\x82", "end" + replacement + replacement},         // truncated
      {"\xF4\x90\x80\x80", replacement + replacement + replacement + replacement},  // > U+10FFFF
  };
  for (const auto& [input, decoded] : invalid) {
    EXPECT_EQ(parse_line(format(input)).at("msg").as_string(), decoded);
  }
}

TEST(JsonLogFormatter, WorkerIndexOfTheLoggingThread) {
  std::string line;
  std::thread worker([&line] {
    set_log_worker(3);
    line = format("from a worker");
  });
  worker.join();
  EXPECT_EQ(parse_line(line).at("worker").as_int64(), 3);
}

TEST(JsonLogFormatter, ThroughALoggerEveryRecordIsOneLine) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  sink->set_formatter(make_json_formatter());
  spdlog::logger logger("test", sink);
  logger.set_level(spdlog::level::trace);
  logger.info("first {}", 1);
  logger.error("second\nwith a newline");
  logger.debug("third \"quoted\"");
  std::istringstream lines(out.str());
  std::vector<std::string> messages;
  for (std::string line; std::getline(lines, line);) {
    const auto object = parse_line(line + "\n");
    EXPECT_EQ(object.at("logger").as_string(), "test");
    messages.emplace_back(object.at("msg").as_string());
  }
  EXPECT_EQ(messages,
            (std::vector<std::string>{"first 1", "second\nwith a newline", "third \"quoted\""}));
}

TEST(SetupLogging, AppliesEveryConfiguredLevel) {
  const std::pair<const char*, spdlog::level::level_enum> levels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},   {"critical", spdlog::level::critical},
      {"off", spdlog::level::off}};
  for (const auto& [name, level] : levels) {
    Config config;
    config.log_level = name;
    config.log_format = LogFormat::json;
    setup_logging(config);
    EXPECT_EQ(spdlog::default_logger()->level(), level) << name;
  }
  setup_logging(Config{});
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::info);
}

}  // namespace
}  // namespace switchboard::config
