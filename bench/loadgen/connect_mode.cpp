// Connection rate and idle memory: open N connections as fast as bounded concurrency
// allows (TCP connect, upgrade handshake and the protocol's opening exchange all count),
// wait for the server to settle, and compare its RSS with the RSS before the first one.
#include <unistd.h>

#include <cstdio>

#include "process_stats.hpp"
#include "run.hpp"

namespace switchboard::bench {
namespace {

class ConnectRun final : public PayloadHandler {
 public:
  explicit ConnectRun(Run& run) : run_(run), options_(run.options), timer_(run.io) {}

  void start() {
    if (!options_.server_pids.empty()) rss_before_kib_ = read_rss_kib(options_.server_pids);
    const std::size_t count = options_.shard_connections();
    run_.fleet.set_payload_handler(this);
    opening_progress_ = open_progress(run_, count);
    run_.fleet.open(count, seconds_to_ms(options_.connect_timeout_s),
                    [this](const OpenResult& result) { on_open(result); });
  }

  void write_report() {
    JsonObject& r = run_.report;
    r.add("connect", describe_open(open_result_));
    r.add("connections_per_second",
          open_result_.seconds > 0 ? static_cast<double>(open_result_.ready) / open_result_.seconds
                                   : 0.0);
    JsonObject memory;
    if (rss_before_kib_ && rss_after_kib_) {
      const double delta_kib =
          static_cast<double>(*rss_after_kib_) - static_cast<double>(*rss_before_kib_);
      memory.add("rss_before_kib", *rss_before_kib_).add("rss_after_kib", *rss_after_kib_);
      memory.add("kib_per_connection", open_result_.ready > 0
                                           ? delta_kib / static_cast<double>(open_result_.ready)
                                           : 0.0);
    }
    r.add("memory", memory).add("lost_while_idle", lost_while_idle_);
    if (!lost_reason_.empty()) r.add("first_disconnect", lost_reason_);
    if (open_result_.failed > 0 || lost_while_idle_ > 0) run_.exit_code = 1;
  }

 private:
  void on_open(const OpenResult& result) {
    opening_progress_->stop();
    open_result_ = result;
    std::fprintf(stderr, "connected: %zu ready, %zu failed in %.2f s (%.0f/s)%s%s\n", result.ready,
                 result.failed, result.seconds,
                 result.seconds > 0 ? static_cast<double>(result.ready) / result.seconds : 0.0,
                 result.first_error.empty() ? "" : "; first error: ", result.first_error.c_str());
    // Drivers running several shards wait for this line before sampling the server's RSS.
    std::fprintf(stderr, "holding %zu connections\n", result.ready);
    timer_.expires_after(seconds_to_ms(options_.settle_s));
    timer_.async_wait([this](const boost::system::error_code& error) {
      if (error) return;
      if (!options_.server_pids.empty()) {
        rss_after_kib_ = read_rss_kib(options_.server_pids);
        if (rss_before_kib_ && rss_after_kib_ && open_result_.ready > 0) {
          std::fprintf(
              stderr, "server RSS: %llu KiB -> %llu KiB, %.2f KiB per connection\n",
              static_cast<unsigned long long>(*rss_before_kib_),
              static_cast<unsigned long long>(*rss_after_kib_),
              (static_cast<double>(*rss_after_kib_) - static_cast<double>(*rss_before_kib_)) /
                  static_cast<double>(open_result_.ready));
        }
      }
      timer_.expires_after(seconds_to_ms(options_.hold_s));
      timer_.async_wait([this](const boost::system::error_code& hold_error) {
        if (hold_error) return;
        run_.fleet.abort_all();
        run_.io.stop();
      });
    });
  }

  void on_payload(Connection&, std::string_view, std::uint64_t) override {}

  void on_lost(Connection& /*connection*/, std::string_view reason) override {
    if (lost_reason_.empty()) lost_reason_ = std::string(reason);
    ++lost_while_idle_;
  }

  Run& run_;
  const Options& options_;
  boost::asio::steady_timer timer_;
  std::unique_ptr<Ticker> opening_progress_;
  OpenResult open_result_;
  std::optional<std::uint64_t> rss_before_kib_;
  std::optional<std::uint64_t> rss_after_kib_;
  std::string lost_reason_;
  std::uint64_t lost_while_idle_ = 0;
};

}  // namespace

void run_connect(Run& run) {
  ConnectRun connect(run);
  connect.start();
  run.io.run();
  connect.write_report();
}

}  // namespace switchboard::bench
