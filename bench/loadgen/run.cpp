#include "run.hpp"

#include <cstdio>

namespace switchboard::bench {

Ticker::Ticker(boost::asio::io_context& io, std::chrono::milliseconds period,
               std::function<void()> tick)
    : timer_(io), period_(period), tick_(std::move(tick)) {}

void Ticker::start() {
  running_ = true;
  timer_.expires_after(period_);
  arm();
}

void Ticker::stop() {
  running_ = false;
  timer_.cancel();
}

void Ticker::arm() {
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || !running_) return;
    tick_();
    if (!running_) return;
    timer_.expires_at(timer_.expiry() + period_);  // no drift
    arm();
  });
}

JsonObject describe_open(const OpenResult& result) {
  JsonObject open;
  open.add("ready", std::uint64_t{result.ready})
      .add("failed", std::uint64_t{result.failed})
      .add("seconds", result.seconds)
      .add("per_second",
           result.seconds > 0 ? static_cast<double>(result.ready) / result.seconds : 0.0);
  if (!result.first_error.empty()) open.add("first_error", result.first_error);
  return open;
}

JsonObject describe_latency_us(const Histogram& histogram) {
  const auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e3; };
  JsonObject latency;
  latency.add("p50", us(histogram.quantile(0.50)))
      .add("p90", us(histogram.quantile(0.90)))
      .add("p99", us(histogram.quantile(0.99)))
      .add("p999", us(histogram.quantile(0.999)))
      .add("max", us(histogram.max()))
      .add("mean", histogram.mean() / 1e3);
  return latency;
}

std::unique_ptr<Ticker> open_progress(Run& run, std::size_t target) {
  auto ticker = std::make_unique<Ticker>(run.io, std::chrono::seconds(1), [&run, target] {
    std::fprintf(stderr, "connecting: %zu/%zu ready\n", run.fleet.ready_count(), target);
  });
  ticker->start();
  return ticker;
}

std::chrono::milliseconds seconds_to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0));
}

}  // namespace switchboard::bench
