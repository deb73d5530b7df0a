// JSON lines for log collectors: one object per line, every string escaped so that a message
// carrying quotes, newlines or arbitrary bytes (a client's payload, say) cannot break a line.
#include <spdlog/details/log_msg.h>
#include <spdlog/fmt/fmt.h>

#include <cstdint>
#include <ctime>
#include <iterator>

#include "log_level_name.hpp"
#include "switchboard/config/logging.hpp"

namespace switchboard::config {
namespace {

// Length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF), or 0 if it is not one.
std::size_t utf8_sequence_length(std::string_view s) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b0 = byte(0);
  std::size_t length = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;  // allowed range of the second byte
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < length || byte(1) < lo || byte(1) > hi) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

void append_escaped(std::string_view s, spdlog::memory_buf_t& dest) {
  auto out = std::back_inserter(dest);
  dest.push_back('"');
  while (!s.empty()) {
    const char c = s.front();
    const auto u = static_cast<unsigned char>(c);
    std::size_t consumed = 1;
    if (c == '"' || c == '\\') {
      dest.push_back('\\');
      dest.push_back(c);
    } else if (c == '\n') {
      fmt::format_to(out, "\\n");
    } else if (c == '\r') {
      fmt::format_to(out, "\\r");
    } else if (c == '\t') {
      fmt::format_to(out, "\\t");
    } else if (u < 0x20) {
      fmt::format_to(out, "\\u{:04x}", static_cast<unsigned>(u));
    } else if (u < 0x80) {
      dest.push_back(c);
    } else if (const std::size_t n = utf8_sequence_length(s); n > 0) {
      dest.append(s.data(), s.data() + n);
      consumed = n;
    } else {
      fmt::format_to(out, "\\ufffd");  // one replacement per invalid byte
    }
    s.remove_prefix(consumed);
  }
  dest.push_back('"');
}

void append_timestamp(spdlog::log_clock::time_point time, spdlog::memory_buf_t& dest) {
  using namespace std::chrono;
  const auto since_epoch = time.time_since_epoch();
  const auto secs = duration_cast<seconds>(since_epoch);
  auto millis = duration_cast<milliseconds>(since_epoch - secs).count();
  std::time_t t = static_cast<std::time_t>(secs.count());
  if (millis < 0) {  // before 1970: keep the millisecond field positive
    millis += 1000;
    t -= 1;
  }
  std::tm tm{};
  gmtime_r(&t, &tm);
  fmt::format_to(std::back_inserter(dest), "\"{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z\"",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 static_cast<int>(millis));
}

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto out = std::back_inserter(dest);
    fmt::format_to(out, "{{\"ts\":");
    append_timestamp(msg.time, dest);
    fmt::format_to(out, ",\"level\":\"{}\"", log_level_name(msg.level));
    // The worker index is read on the logging thread, which is the thread that logged:
    // spdlog's synchronous loggers format in the caller.
    if (const auto worker = log_worker()) fmt::format_to(out, ",\"worker\":{}", *worker);
    fmt::format_to(out, ",\"thread\":{}", msg.thread_id);
    if (msg.logger_name.size() > 0) {
      fmt::format_to(out, ",\"logger\":");
      append_escaped(std::string_view(msg.logger_name.data(), msg.logger_name.size()), dest);
    }
    fmt::format_to(out, ",\"msg\":");
    append_escaped(std::string_view(msg.payload.data(), msg.payload.size()), dest);
    fmt::format_to(out, "}}\n");
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLogFormatter>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_json_formatter() {
  return std::make_unique<JsonLogFormatter>();
}

}  // namespace switchboard::config
