// Latency under an open loop: the publisher sends at a fixed rate whatever the server does
// (so a slow server shows up as latency, not as a lower rate — no coordinated omission),
// and every delivery's latency (read time minus the payload's send time) goes into a
// log-linear histogram.
#include <cmath>
#include <cstdio>

#include "histogram.hpp"
#include "payload.hpp"
#include "run.hpp"
#include "sequence_checker.hpp"

namespace switchboard::bench {
namespace {

class LatencyRun final : public PayloadHandler {
 public:
  explicit LatencyRun(Run& run)
      : run_(run),
        options_(run.options),
        has_publisher_(options_.publishes()),
        progress_(run.io, std::chrono::seconds(1), [this] { on_second(); }),
        send_timer_(run.io),
        timer_(run.io) {}

  void start() {
    const std::size_t count = options_.shard_connections() + (has_publisher_ ? 1 : 0);
    checkers_.resize(count);
    if (!has_publisher_) {
      for (SequenceChecker& checker : checkers_) checker.join_midstream();
    }
    run_.fleet.set_payload_handler(this);
    opening_progress_ = open_progress(run_, count);
    run_.fleet.open(count, seconds_to_ms(options_.connect_timeout_s),
                    [this](const OpenResult& result) { on_open(result); });
  }

  void write_report() {
    JsonObject& r = run_.report;
    r.add("connect", describe_open(open_result_));
    r.add("publisher", has_publisher_).add("subscribers", std::uint64_t{subscribers_});
    r.add("rate", options_.rate).add("seconds", options_.duration_s);
    r.add("published", published_).add("deliveries", histogram_.count());
    r.add("latency_us", describe_latency_us(histogram_));
    JsonObject integrity;
    integrity.add("lost", totals_.lost)
        .add("duplicated", totals_.duplicated)
        .add("reordered", totals_.reordered)
        .add("undelivered", totals_.undelivered)
        .add("bad_payloads", bad_payloads_)
        .add("disconnected", disconnected_)
        .add("ok", ok());
    if (!lost_reason_.empty()) integrity.add("first_disconnect", lost_reason_);
    r.add("integrity", integrity);
    if (!ok()) run_.exit_code = 1;
  }

 private:
  static double us(std::uint64_t ns) { return static_cast<double>(ns) / 1e3; }

  bool ok() const {
    return totals_.clean() && bad_payloads_ == 0 && disconnected_ == 0 && open_result_.failed == 0;
  }

  void on_open(const OpenResult& result) {
    opening_progress_->stop();
    open_result_ = result;
    std::fprintf(stderr, "connected: %zu ready, %zu failed in %.2f s\n", result.ready,
                 result.failed, result.seconds);
    if ((has_publisher_ && !run_.fleet.at(0).ready()) || result.ready <= 1) {
      std::fprintf(stderr, "latency: not enough connections\n");
      finish();
      return;
    }
    subscribers_ = result.ready - (has_publisher_ ? 1 : 0);
    start_ns_ = monotonic_ns();
    progress_.start();
    if (has_publisher_) {
      publishing_ = true;
      // Tick at the publish period, but at most every millisecond; each tick sends what is due.
      const double period_ms = std::max(1.0, 1000.0 / options_.rate);
      tick_ = std::chrono::microseconds(static_cast<std::int64_t>(period_ms * 1000));
      send_timer_.expires_after(std::chrono::milliseconds(0));
      arm_send();
    }
    const double listen_s = options_.duration_s + (has_publisher_ ? 0.0 : options_.drain_timeout_s);
    timer_.expires_after(seconds_to_ms(listen_s));
    timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error) stop_publishing();
    });
  }

  void arm_send() {
    send_timer_.async_wait([this](const boost::system::error_code& error) {
      if (error || !publishing_) return;
      send_due();
      send_timer_.expires_at(send_timer_.expiry() + tick_);
      arm_send();
    });
  }

  void send_due() {
    const double elapsed_s = static_cast<double>(monotonic_ns() - start_ns_) / 1e9;
    const auto due = static_cast<std::uint64_t>(std::floor(elapsed_s * options_.rate)) + 1;
    Connection& publisher = run_.fleet.at(0);
    while (published_ < due) {
      write_payload(payload_, options_.payload_size, {published_, monotonic_ns()});
      publisher.publish(payload_);
      ++published_;
    }
  }

  void on_payload(Connection& connection, std::string_view payload,
                  std::uint64_t received_ns) override {
    const std::uint32_t id = connection.id();
    if (has_publisher_ && id == 0) return;
    const std::optional<PayloadStamp> stamp = read_payload(payload);
    if (!stamp) {
      ++bad_payloads_;
      return;
    }
    checkers_[id].observe(stamp->sequence);
    histogram_.record(received_ns > stamp->sent_ns ? received_ns - stamp->sent_ns : 0);
    ++deliveries_this_second_;
  }

  void on_lost(Connection& connection, std::string_view reason) override {
    if (lost_reason_.empty()) lost_reason_ = std::string(reason);
    ++disconnected_;
    if (has_publisher_ && connection.id() == 0) finish();
  }

  void on_second() {
    std::fprintf(
        stderr, "latency: %llu published, %llu deliveries in the last second, p99 so far %.0f us\n",
        static_cast<unsigned long long>(published_),
        static_cast<unsigned long long>(deliveries_this_second_), us(histogram_.quantile(0.99)));
    deliveries_this_second_ = 0;
  }

  void stop_publishing() {
    publishing_ = false;
    send_timer_.cancel();
    drain_deadline_ns_ =
        monotonic_ns() + static_cast<std::uint64_t>(options_.drain_timeout_s * 1e9);
    poll_drain();
  }

  void poll_drain() {
    const bool drained = !has_publisher_ || histogram_.count() >= published_ * subscribers_;
    if (drained || monotonic_ns() >= drain_deadline_ns_) {
      finish();
      return;
    }
    timer_.expires_after(std::chrono::milliseconds(10));
    timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error) poll_drain();
    });
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    publishing_ = false;
    progress_.stop();
    send_timer_.cancel();
    timer_.cancel();
    for (std::size_t id = has_publisher_ ? 1 : 0; id < checkers_.size(); ++id) {
      if (id >= run_.fleet.size() || !run_.fleet.at(id).ready()) continue;
      const std::uint64_t expected = has_publisher_ ? published_ : checkers_[id].next_expected();
      totals_ += checkers_[id].finish(expected);
    }
    run_.fleet.abort_all();
    run_.io.stop();
  }

  Run& run_;
  const Options& options_;
  const bool has_publisher_;
  Histogram histogram_;
  std::vector<SequenceChecker> checkers_;
  Ticker progress_;
  std::unique_ptr<Ticker> opening_progress_;
  boost::asio::steady_timer send_timer_;
  boost::asio::steady_timer timer_;
  std::chrono::microseconds tick_{1000};
  std::string payload_;
  std::string lost_reason_;
  OpenResult open_result_;
  IntegrityCounts totals_;
  std::size_t subscribers_ = 0;
  std::uint64_t published_ = 0;
  std::uint64_t deliveries_this_second_ = 0;
  std::uint64_t bad_payloads_ = 0;
  std::uint64_t disconnected_ = 0;
  std::uint64_t start_ns_ = 0;
  std::uint64_t drain_deadline_ns_ = 0;
  bool publishing_ = false;
  bool finished_ = false;
};

}  // namespace

void run_latency(Run& run) {
  LatencyRun latency(run);
  latency.start();
  run.io.run();
  latency.write_report();
}

}  // namespace switchboard::bench
