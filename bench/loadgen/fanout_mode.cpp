// Fan-out throughput: one publisher keeps `window` publishes in flight; a publish completes
// when every live subscriber has received it, and each completion lets one more out (a
// closed loop, so the server is never asked for more than it can deliver). Reports
// deliveries per second and every subscriber's integrity.
#include <bit>
#include <cstdio>

#include "payload.hpp"
#include "process_stats.hpp"
#include "run.hpp"
#include "sequence_checker.hpp"

namespace switchboard::bench {
namespace {

// Seconds without a single delivery, while publishing, before the run is declared stalled.
constexpr int kStallSeconds = 5;
// A listening shard (no publisher) has drained once nothing arrived for this long.
constexpr std::uint64_t kListenerQuietNs = 500'000'000;

class FanoutRun final : public PayloadHandler {
 public:
  explicit FanoutRun(Run& run)
      : run_(run),
        options_(run.options),
        has_publisher_(options_.publishes()),
        ring_(std::bit_ceil(options_.window)),
        progress_(run.io, std::chrono::seconds(1), [this] { on_second(); }),
        timer_(run.io) {}

  void start() {
    const std::size_t count = options_.shard_connections() + (has_publisher_ ? 1 : 0);
    checkers_.resize(count);
    if (!has_publisher_) {
      for (SequenceChecker& checker : checkers_) checker.join_midstream();
    }
    alive_.assign(count, 1);
    run_.fleet.set_payload_handler(this);
    opening_progress_ = open_progress(run_, count);
    run_.fleet.open(count, seconds_to_ms(options_.connect_timeout_s),
                    [this](const OpenResult& result) { on_open(result); });
  }

  void write_report() {
    JsonObject& r = run_.report;
    r.add("connect", describe_open(open_result_));
    r.add("publisher", has_publisher_).add("subscribers", std::uint64_t{subscribers_});
    r.add("window", std::uint64_t{options_.window});
    r.add("seconds", elapsed_s_).add("deliveries", deliveries_in_window_);
    if (server_cpu_seconds_) r.add("server_cpu_seconds", *server_cpu_seconds_);
    r.add("deliveries_per_second",
          elapsed_s_ > 0 ? static_cast<double>(deliveries_in_window_) / elapsed_s_ : 0.0);
    r.add("published", next_seq_).add("completed", oldest_);
    r.add("publishes_per_second",
          elapsed_s_ > 0 ? static_cast<double>(completed_in_window_) / elapsed_s_ : 0.0);
    JsonObject integrity;
    integrity.add("lost", totals_.lost)
        .add("duplicated", totals_.duplicated)
        .add("reordered", totals_.reordered)
        .add("undelivered", totals_.undelivered)
        .add("bad_payloads", bad_payloads_)
        .add("disconnected", disconnected_)
        .add("ok", ok());
    if (!lost_reason_.empty()) integrity.add("first_disconnect", lost_reason_);
    r.add("integrity", integrity).add("stalled", stalled_);
    if (!ok()) run_.exit_code = 1;
  }

 private:
  bool ok() const {
    return totals_.clean() && bad_payloads_ == 0 && disconnected_ == 0 && !stalled_ &&
           open_result_.failed == 0;
  }

  void on_open(const OpenResult& result) {
    opening_progress_->stop();
    open_result_ = result;
    std::fprintf(stderr, "connected: %zu ready, %zu failed in %.2f s (%.0f/s)%s%s\n", result.ready,
                 result.failed, result.seconds,
                 result.seconds > 0 ? static_cast<double>(result.ready) / result.seconds : 0.0,
                 result.first_error.empty() ? "" : "; first error: ", result.first_error.c_str());
    if (has_publisher_ && !run_.fleet.at(0).ready()) {
      std::fprintf(stderr, "fanout: the publisher did not connect\n");
      finish();
      return;
    }
    subscribers_ = result.ready - (has_publisher_ ? 1 : 0);
    live_ = subscribers_;
    if (live_ == 0) {
      std::fprintf(stderr, "fanout: no subscriber connected\n");
      finish();
      return;
    }
    start_ns_ = monotonic_ns();
    if (!options_.server_pids.empty()) server_cpu_start_ = read_cpu_seconds(options_.server_pids);
    measuring_ = true;
    publishing_ = has_publisher_;
    refill();
    progress_.start();
    // Every shard counts over the same window, the publisher's: a listening shard that divided
    // by a longer one reported less than it received. It goes on listening afterwards (see
    // poll_drain) for what is still in flight, so that a gap is a gap.
    timer_.expires_after(seconds_to_ms(options_.duration_s));
    timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error) stop_measuring();
    });
  }

  void on_payload(Connection& connection, std::string_view payload,
                  std::uint64_t received_ns) override {
    const std::uint32_t id = connection.id();
    if (has_publisher_ && id == 0) return;  // the publisher hears its own messages too
    const std::optional<PayloadStamp> stamp = read_payload(payload);
    if (!stamp) {
      ++bad_payloads_;
      return;
    }
    checkers_[id].observe(stamp->sequence);
    last_delivery_ns_ = received_ns;
    if (measuring_) ++deliveries_in_window_;
    ++deliveries_this_second_;
    const std::uint64_t s = stamp->sequence;
    if (has_publisher_ && s >= oldest_ && s < next_seq_ &&
        ++ring_[s & (ring_.size() - 1)] >= live_) {
      advance();
    }
  }

  void on_lost(Connection& connection, std::string_view reason) override {
    const std::uint32_t id = connection.id();
    if (lost_reason_.empty()) lost_reason_ = std::string(reason);
    ++disconnected_;
    alive_[id] = 0;
    if (has_publisher_ && id == 0) {
      std::fprintf(stderr, "fanout: publisher lost: %.*s\n", static_cast<int>(reason.size()),
                   reason.data());
      finish();
      return;
    }
    if (live_ > 0) --live_;
    if (live_ == 0) {
      finish();
      return;
    }
    advance();
  }

  // Retires every leading publish that all live subscribers have received, then tops the
  // window up again.
  void advance() {
    const std::size_t mask = ring_.size() - 1;
    while (oldest_ < next_seq_ && ring_[oldest_ & mask] >= live_) {
      ring_[oldest_ & mask] = 0;
      ++oldest_;
      if (measuring_) ++completed_in_window_;
    }
    refill();
  }

  void refill() {
    if (!publishing_) return;
    Connection& publisher = run_.fleet.at(0);
    while (next_seq_ - oldest_ < options_.window) {
      write_payload(payload_, options_.payload_size, {next_seq_, monotonic_ns()});
      publisher.publish(payload_);
      ++next_seq_;
    }
  }

  void on_second() {
    ++second_;
    std::fprintf(stderr, "fanout: %3us %10llu deliveries/s, %zu live subscribers, %llu in flight\n",
                 second_, static_cast<unsigned long long>(deliveries_this_second_), live_,
                 static_cast<unsigned long long>(next_seq_ - oldest_));
    quiet_seconds_ = deliveries_this_second_ == 0 ? quiet_seconds_ + 1 : 0;
    deliveries_this_second_ = 0;
    if (publishing_ && quiet_seconds_ >= kStallSeconds) {
      std::fprintf(stderr, "fanout: stalled (%d s without a delivery)\n", kStallSeconds);
      stalled_ = true;
      stop_measuring();
    }
  }

  void stop_measuring() {
    if (!measuring_) return;
    measuring_ = false;
    publishing_ = false;
    elapsed_s_ = static_cast<double>(monotonic_ns() - start_ns_) / 1e9;
    sample_server_cpu();
    // Let what is in flight arrive, so that only what never comes counts as lost.
    drain_deadline_ns_ =
        monotonic_ns() + static_cast<std::uint64_t>(options_.drain_timeout_s * 1e9);
    poll_drain();
  }

  // The server's CPU time over the measured window only: connection set-up and teardown,
  // which cost an authenticating gateway far more than a bare transport, stay out of it.
  void sample_server_cpu() {
    if (options_.server_pids.empty() || !server_cpu_start_) return;
    if (const auto end = read_cpu_seconds(options_.server_pids)) {
      server_cpu_seconds_ = *end - *server_cpu_start_;
    }
  }

  void poll_drain() {
    // The publisher's shard knows when everything arrived; a listener, once nothing came for
    // kListenerQuietNs (far more than a delivery's trip after the publisher stopped).
    const bool drained = has_publisher_ ? oldest_ == next_seq_
                                        : monotonic_ns() - last_delivery_ns_ >= kListenerQuietNs;
    if (drained || stalled_ || monotonic_ns() >= drain_deadline_ns_) {
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
    if (measuring_) {
      elapsed_s_ = static_cast<double>(monotonic_ns() - start_ns_) / 1e9;
      measuring_ = false;
      sample_server_cpu();
    }
    progress_.stop();
    timer_.cancel();
    for (std::size_t id = has_publisher_ ? 1 : 0; id < checkers_.size(); ++id) {
      if (!alive_[id] || id >= run_.fleet.size() || !run_.fleet.at(id).ready()) continue;
      // Without the publisher a shard cannot know what was sent: it checks gaps only.
      const std::uint64_t expected = has_publisher_ ? next_seq_ : checkers_[id].next_expected();
      totals_ += checkers_[id].finish(expected);
    }
    run_.fleet.abort_all();
    run_.io.stop();
  }

  Run& run_;
  const Options& options_;
  const bool has_publisher_;
  std::vector<std::uint32_t> ring_;  // receipts per in-flight sequence number
  std::vector<SequenceChecker> checkers_;
  std::vector<std::uint8_t> alive_;
  Ticker progress_;
  std::unique_ptr<Ticker> opening_progress_;
  boost::asio::steady_timer timer_;
  std::string payload_;
  std::string lost_reason_;
  OpenResult open_result_;
  IntegrityCounts totals_;
  std::size_t subscribers_ = 0;
  std::size_t live_ = 0;
  std::uint64_t next_seq_ = 0;  // next sequence number to publish
  std::uint64_t oldest_ = 0;    // oldest publish not yet received by everyone
  std::uint64_t deliveries_in_window_ = 0;
  std::uint64_t completed_in_window_ = 0;
  std::uint64_t deliveries_this_second_ = 0;
  std::uint64_t bad_payloads_ = 0;
  std::uint64_t disconnected_ = 0;
  std::uint64_t start_ns_ = 0;
  std::uint64_t last_delivery_ns_ = 0;  // when the last payload was read
  std::uint64_t drain_deadline_ns_ = 0;
  double elapsed_s_ = 0;
  std::optional<double> server_cpu_start_;
  std::optional<double> server_cpu_seconds_;
  unsigned second_ = 0;
  int quiet_seconds_ = 0;
  bool measuring_ = false;
  bool publishing_ = false;
  bool stalled_ = false;
  bool finished_ = false;
};

}  // namespace

void run_fanout(Run& run) {
  FanoutRun fanout(run);
  fanout.start();
  run.io.run();
  fanout.write_report();
}

}  // namespace switchboard::bench
