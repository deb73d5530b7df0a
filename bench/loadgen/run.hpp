// What every run mode gets, and the pieces they share: a once-a-second progress ticker and
// the connection-opening summary.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>

#include "fleet.hpp"
#include "histogram.hpp"
#include "json_object.hpp"
#include "options.hpp"

namespace switchboard::bench {

struct Run {
  const Options& options;
  boost::asio::io_context& io;
  Fleet& fleet;
  JsonObject report;  // the mode adds its results
  int exit_code = 0;  // non-zero: the run failed (integrity, connections, stall)
};

// Each mode opens its connections, runs the io_context to completion and fills run.report.
void run_fanout(Run& run);
void run_latency(Run& run);
void run_connect(Run& run);
void run_ingest(Run& run);

// Calls `tick` every `period` until stopped.
class Ticker {
 public:
  Ticker(boost::asio::io_context& io, std::chrono::milliseconds period, std::function<void()> tick);
  void start();
  void stop();

 private:
  void arm();

  boost::asio::steady_timer timer_;
  std::chrono::milliseconds period_;
  std::function<void()> tick_;
  bool running_ = false;
};

// The "connect" section of a report.
JsonObject describe_open(const OpenResult& result);

// A "latency_us" section: p50, p90, p99, p99.9, max and mean of nanosecond samples, in
// microseconds.
JsonObject describe_latency_us(const Histogram& histogram);

// Prints connection progress once a second while the fleet opens; stop it when done.
std::unique_ptr<Ticker> open_progress(Run& run, std::size_t target);

std::chrono::milliseconds seconds_to_ms(double seconds);

}  // namespace switchboard::bench
