#pragma once
// Runs one asynchronous call-out the way a worker would, and records how its callback ran: how
// many times, on which thread, after how long.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <thread>
#include <utility>

namespace switchboard::test {

// How much later than its deadline a timed-out call-out may complete. Generous on purpose: the
// bound is against a deadline that is ignored or mis-scaled, and lateness is what
// ThreadSanitizer on a loaded 2-core machine produces (2 s was seen to be too tight there).
// A call-out that never completes is caught by run_on_io's own 10 s bound.
inline constexpr std::chrono::milliseconds kLateCompletionAllowance{5000};

template <class Result>
struct Outcome {
  int calls = 0;
  Result value{};
  bool on_io_thread = false;  // the callback ran on the thread running the io_context
  std::chrono::milliseconds elapsed{0};
};

// `start(io, done)` is invoked on the test thread before any thread runs `io`; then `io` runs
// on a thread of its own until it has no work left (bounded: 10 s). A callback run inline by
// `start`, or one run twice, shows in the outcome.
template <class Result, class Start>
Outcome<Result> run_on_io(Start start) {
  boost::asio::io_context io;
  Outcome<Result> out;
  std::thread::id called_on;
  const auto t0 = std::chrono::steady_clock::now();
  start(io, [&out, &called_on, t0](Result r) {
    ++out.calls;
    out.value = std::move(r);
    called_on = std::this_thread::get_id();
    out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
  });
  std::thread runner([&io] { io.run_for(std::chrono::seconds(10)); });
  const std::thread::id runner_id = runner.get_id();
  runner.join();
  out.on_io_thread = called_on == runner_id;
  return out;
}

}  // namespace switchboard::test
