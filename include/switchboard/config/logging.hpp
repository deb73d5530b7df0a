#pragma once
// Logging set-up: spdlog's default logger, as console text or JSON lines, at the configured
// level. Everything logs through spdlog's free functions (spdlog::info, ...).
#include <spdlog/formatter.h>

#include <memory>
#include <optional>

#include "switchboard/config/config.hpp"

namespace switchboard::config {

// Replaces spdlog's default logger with one writing to stderr in `config.log_format` at
// `config.log_level` (an invalid level cannot reach here: load() validated it). Warnings and
// above are flushed at once.
// Thread safety: call once at start-up, before other threads log; spdlog then serialises
// writes from any thread.
void setup_logging(const Config& config);

// A formatter writing one JSON object per line:
//   {"ts":"2024-05-01T12:00:00.123Z","level":"info","worker":3,"thread":4711,"msg":"..."}
// `ts` is UTC with milliseconds; `worker` appears only on threads that called
// set_log_worker(); `logger` appears when the logger has a name. Strings are escaped per
// RFC 8259 and invalid UTF-8 becomes U+FFFD, so every line is valid JSON.
std::unique_ptr<spdlog::formatter> make_json_formatter();

// Tags the calling thread's log lines with a worker index (JSON `worker`, console `w3`).
// Thread safety: affects only the calling thread; call it when a worker thread starts.
void set_log_worker(unsigned worker);
// The calling thread's worker index, if set.
std::optional<unsigned> log_worker();

}  // namespace switchboard::config
