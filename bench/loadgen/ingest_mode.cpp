// Ingestion: how many publications per second one node accepts through its server API
// (POST /api/publish, docs/protocol.md "Server API"). C kept-alive HTTP/1.1 connections each
// keep D requests pipelined in flight, a closed loop (each answer lets the next request out),
// publishing to K channels round robin. Every answer is counted by status and timed (request
// queued to the read that completed its answer); a 2xx answer must carry the id of the
// request it answers, which checks that pipelined answers come back complete and in order.
// With --server-pid, each process's CPU time over the measured window, per accepted
// publication and apart (a node beside its Redis).
#include <bit>
#include <charconv>
#include <cstdio>
#include <memory>

#include "http_client.hpp"
#include "payload.hpp"
#include "process_stats.hpp"
#include "run.hpp"

namespace switchboard::bench {
namespace {

// Seconds without a single answer, while sending, before the run is declared stalled.
constexpr int kStallSeconds = 5;
// How much of the first unexpected answer's body the report quotes.
constexpr std::size_t kBodyExcerpt = 200;

// One connection and its requests in flight. Answers come in request order, so the oldest
// request unanswered is the one the next answer is for.
struct Publisher {
  std::unique_ptr<HttpClient> http;
  std::vector<std::uint64_t> sent_ns;  // by sequence number modulo its size, >= depth
  std::uint64_t next = 0;              // the sequence number of the next request
  std::uint64_t answered = 0;          // the sequence number of the oldest request unanswered
  bool opened = false;
  bool lost = false;
};

// Appends `"id":"<connection>.<sequence>"`, the request id and, as the answer echoes it, what
// a 2xx answer must contain.
void append_id_field(std::string& out, std::uint32_t connection, std::uint64_t sequence) {
  char text[24];  // the digits of a 64-bit number
  out.append(R"("id":")");
  out.append(text, std::to_chars(text, text + sizeof text, connection).ptr).push_back('.');
  out.append(text, std::to_chars(text, text + sizeof text, sequence).ptr).push_back('"');
}

class IngestRun final : public HttpClientHandler {
 public:
  explicit IngestRun(Run& run)
      : run_(run),
        options_(run.options),
        progress_(run.io, std::chrono::seconds(1), [this] { on_second(); }),
        timer_(run.io) {}

  void start() {
    const boost::asio::ip::tcp::endpoint server(boost::asio::ip::make_address(options_.host),
                                                options_.port);
    head_ = "POST /api/publish HTTP/1.1\r\nHost: " + options_.host + ":" +
            std::to_string(options_.port) + "\r\nAuthorization: apikey " + options_.api_key +
            "\r\nContent-Type: application/json\r\nContent-Length: ";
    for (std::size_t k = 0; k < options_.channels; ++k) {
      channels_.push_back(options_.channel + "-" + std::to_string(k));
    }
    publishers_.resize(options_.connections);
    connect_start_ns_ = monotonic_ns();
    for (std::size_t i = 0; i < publishers_.size(); ++i) {
      Publisher& p = publishers_[i];
      p.sent_ns.resize(std::bit_ceil(options_.depth));
      p.http = std::make_unique<HttpClient>(run_.io, *this, static_cast<std::uint32_t>(i));
      p.http->connect(server);
    }
    timer_.expires_after(seconds_to_ms(options_.connect_timeout_s));
    timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error) connect_timed_out();
    });
  }

  void write_report() {
    JsonObject& r = run_.report;
    r.add("connect", describe_open(open_result_));
    r.add("depth", std::uint64_t{options_.depth})
        .add("channels", std::uint64_t{options_.channels})
        .add("seconds", elapsed_s_)
        .add("sent", sent_)
        .add("answered", answered_)
        .add("accepted", accepted_in_window_)
        .add("accepted_per_second",
             elapsed_s_ > 0 ? static_cast<double>(accepted_in_window_) / elapsed_s_ : 0.0);
    JsonObject answers;
    answers.add("2xx", successful_)
        .add("429", too_many_requests_)
        .add("503", unavailable_)
        .add("other", other_status_);
    r.add("answers", answers)
        .add("mismatched", mismatched_)
        .add("unanswered", unanswered_)
        .add("disconnected", disconnected_)
        .add("stalled", stalled_);
    if (!first_error_.empty()) r.add("first_error", first_error_);
    r.add("latency_us", describe_latency_us(histogram_));
    if (!options_.server_pids.empty()) r.add("server_cpu", describe_server_cpu());
    r.add("ok", ok());
    if (!ok()) run_.exit_code = 1;
  }

 private:
  bool ok() const {
    return open_result_.failed == 0 && disconnected_ == 0 && accepted_ > 0 &&
           too_many_requests_ + unavailable_ + other_status_ + mismatched_ + unanswered_ == 0 &&
           !stalled_;
  }

  void note_error(std::string text) {
    if (first_error_.empty()) first_error_ = std::move(text);
  }

  // --- opening -------------------------------------------------------------------------

  void on_connected(HttpClient& client) override {
    publishers_[client.id()].opened = true;
    ++open_result_.ready;
    if (open_result_.ready + open_result_.failed == publishers_.size()) begin();
  }

  void connect_timed_out() {
    for (Publisher& p : publishers_) {
      if (p.lost || p.http->connected()) continue;
      p.http->abort();
      p.lost = true;
      ++open_result_.failed;
      note_error("connect: timed out");
    }
    begin();
  }

  void begin() {
    if (began_) return;
    began_ = true;
    timer_.cancel();
    open_result_.seconds = static_cast<double>(monotonic_ns() - connect_start_ns_) / 1e9;
    std::fprintf(stderr, "connected: %zu ready, %zu failed in %.2f s%s%s\n", open_result_.ready,
                 open_result_.failed, open_result_.seconds,
                 first_error_.empty() ? "" : "; first error: ", first_error_.c_str());
    if (open_result_.ready == 0) return finish();
    start_ns_ = monotonic_ns();
    for (const int pid : options_.server_pids) cpu_start_.push_back(read_cpu_seconds(pid));
    measuring_ = true;
    sending_ = true;
    for (Publisher& p : publishers_) {
      if (!p.lost) fill(p);
    }
    progress_.start();
    timer_.expires_after(seconds_to_ms(options_.duration_s));
    timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error) stop_sending();
    });
  }

  // --- the closed loop -----------------------------------------------------------------

  void fill(Publisher& p) {
    while (p.next - p.answered < options_.depth) send_one(p);
  }

  void send_one(Publisher& p) {
    const std::uint64_t now = monotonic_ns();
    write_payload(payload_, options_.payload_size, {sent_, now});
    body_.assign(R"({"channel":")").append(channels_[next_channel_]).append(R"(",)");
    append_id_field(body_, p.http->id(), p.next);
    body_.append(R"(,"payload":")").append(payload_).append(R"("})");
    next_channel_ = next_channel_ + 1 == channels_.size() ? 0 : next_channel_ + 1;

    request_.assign(head_);
    char length[24];
    request_.append(length, std::to_chars(length, length + sizeof length, body_.size()).ptr);
    request_.append("\r\n\r\n").append(body_);
    p.sent_ns[p.next & (p.sent_ns.size() - 1)] = now;
    ++p.next;
    ++sent_;
    p.http->send(request_);
  }

  void on_response(HttpClient& client, const HttpResponse& response,
                   std::uint64_t received_ns) override {
    Publisher& p = publishers_[client.id()];
    const std::uint64_t sequence = p.answered++;
    const std::uint64_t sent_ns = p.sent_ns[sequence & (p.sent_ns.size() - 1)];
    ++answered_;
    ++answered_this_second_;
    histogram_.record(received_ns > sent_ns ? received_ns - sent_ns : 0);
    if (response.status / 100 == 2) {
      ++successful_;
      expected_id_.clear();
      append_id_field(expected_id_, client.id(), sequence);
      if (response.body.find(expected_id_) == std::string_view::npos) {
        ++mismatched_;
        note_error("a 2xx answer without " + expected_id_ +
                   " (out of order?): " + std::string(response.body.substr(0, kBodyExcerpt)));
      } else {
        ++accepted_;
        if (measuring_) ++accepted_in_window_;
      }
    } else {
      if (response.status == 429) {
        ++too_many_requests_;
      } else if (response.status == 503) {
        ++unavailable_;
      } else {
        ++other_status_;
      }
      note_error("HTTP " + std::to_string(response.status) + ": " +
                 std::string(response.body.substr(0, kBodyExcerpt)));
    }
    if (sending_) {
      fill(p);
    } else if (draining_ && all_answered()) {
      finish();
    }
  }

  void on_failed(HttpClient& client, std::string_view reason) override {
    Publisher& p = publishers_[client.id()];
    p.lost = true;
    note_error("connection " + std::to_string(client.id()) + ": " + std::string(reason));
    if (!began_) {
      if (p.opened) --open_result_.ready;  // lost while the others were still connecting
      ++open_result_.failed;
      if (open_result_.ready + open_result_.failed == publishers_.size()) begin();
      return;
    }
    ++disconnected_;
    unanswered_ += p.next - p.answered;
    std::fprintf(stderr, "ingest: connection %u lost: %.*s\n", client.id(),
                 static_cast<int>(reason.size()), reason.data());
    if (live_count() == 0 || (draining_ && all_answered())) finish();
  }

  std::size_t live_count() const {
    std::size_t live = 0;
    for (const Publisher& p : publishers_) live += p.lost ? 0 : 1;
    return live;
  }

  bool all_answered() const {
    for (const Publisher& p : publishers_) {
      if (!p.lost && p.answered != p.next) return false;
    }
    return true;
  }

  void on_second() {
    ++second_;
    std::uint64_t in_flight = 0;
    for (const Publisher& p : publishers_) in_flight += p.lost ? 0 : p.next - p.answered;
    std::fprintf(stderr,
                 "ingest: %3us %9llu answers/s, %llu accepted, %llu not, %zu connections, "
                 "%llu in flight\n",
                 second_, static_cast<unsigned long long>(answered_this_second_),
                 static_cast<unsigned long long>(accepted_),
                 static_cast<unsigned long long>(too_many_requests_ + unavailable_ + other_status_ +
                                                 mismatched_),
                 live_count(), static_cast<unsigned long long>(in_flight));
    quiet_seconds_ = answered_this_second_ == 0 ? quiet_seconds_ + 1 : 0;
    answered_this_second_ = 0;
    if (sending_ && quiet_seconds_ >= kStallSeconds) {
      std::fprintf(stderr, "ingest: stalled (%d s without an answer)\n", kStallSeconds);
      stalled_ = true;
      stop_sending();
    }
  }

  // --- the end -------------------------------------------------------------------------

  void stop_sending() {
    if (!sending_) return;
    sending_ = false;
    end_measuring();
    // Let what is in flight be answered, so that only what never is counts as unanswered.
    draining_ = true;
    if (all_answered() || stalled_) return finish();
    timer_.expires_after(seconds_to_ms(options_.drain_timeout_s));
    timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error) finish();
    });
  }

  // The window ends when sending stops: its answers and the servers' CPU time (set-up and
  // the drain stay out of both).
  void end_measuring() {
    if (!measuring_) return;
    measuring_ = false;
    elapsed_s_ = static_cast<double>(monotonic_ns() - start_ns_) / 1e9;
    for (std::size_t i = 0; i < cpu_start_.size(); ++i) {
      const auto end = read_cpu_seconds(options_.server_pids[i]);
      cpu_seconds_.push_back(end && cpu_start_[i] ? std::optional(*end - *cpu_start_[i])
                                                  : std::nullopt);
    }
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    sending_ = false;
    end_measuring();
    progress_.stop();
    timer_.cancel();
    for (Publisher& p : publishers_) {
      if (p.lost) continue;
      unanswered_ += p.next - p.answered;
      p.http->abort();
    }
    run_.io.stop();
  }

  // Each pid's CPU over the window (cores: CPU seconds per second), and their sum, also per
  // accepted publication.
  JsonObject describe_server_cpu() const {
    const auto per_accepted = [this](double seconds) {
      return accepted_in_window_ > 0 ? seconds * 1e9 / static_cast<double>(accepted_in_window_)
                                     : 0.0;
    };
    const auto cores = [this](double seconds) {
      return elapsed_s_ > 0 ? seconds / elapsed_s_ : 0.0;
    };
    JsonObject cpu;
    JsonObject per_pid;
    // A plain double and a flag, not an optional: GCC 12 at -Os takes the optional's value for
    // uninitialized (-Wmaybe-uninitialized) once the lambdas are inlined.
    double total = 0.0;
    bool every_pid_read = true;
    for (std::size_t i = 0; i < options_.server_pids.size(); ++i) {
      const std::string pid = std::to_string(options_.server_pids[i]);
      const std::optional<double> seconds =
          i < cpu_seconds_.size() ? cpu_seconds_[i] : std::nullopt;
      if (!seconds) {
        per_pid.add_null(pid);
        every_pid_read = false;
        continue;
      }
      total += *seconds;
      JsonObject one;
      one.add("seconds", *seconds)
          .add("cores", cores(*seconds))
          .add("ns_per_accepted", per_accepted(*seconds));
      per_pid.add(pid, one);
    }
    if (every_pid_read) {
      cpu.add("seconds", total)
          .add("cores", cores(total))
          .add("ns_per_accepted", per_accepted(total));
    } else {
      cpu.add_null("seconds");  // a process could not be read (it exited?)
    }
    cpu.add("per_pid", per_pid);
    return cpu;
  }

  Run& run_;
  const Options& options_;
  Ticker progress_;
  boost::asio::steady_timer timer_;
  std::vector<Publisher> publishers_;
  std::vector<std::string> channels_;
  std::string head_;     // the request head up to the Content-Length value
  std::string request_;  // scratch: one request
  std::string body_;     // scratch: one request body
  std::string payload_;  // scratch: one payload
  std::string expected_id_;
  std::string first_error_;
  Histogram histogram_;
  OpenResult open_result_;
  std::vector<std::optional<double>> cpu_start_;
  std::vector<std::optional<double>> cpu_seconds_;
  std::size_t next_channel_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t answered_ = 0;
  std::uint64_t answered_this_second_ = 0;
  std::uint64_t successful_ = 0;          // 2xx answers
  std::uint64_t accepted_ = 0;            // of them, those carrying their request's id
  std::uint64_t accepted_in_window_ = 0;  // of them, read while measuring
  std::uint64_t too_many_requests_ = 0;
  std::uint64_t unavailable_ = 0;
  std::uint64_t other_status_ = 0;
  std::uint64_t mismatched_ = 0;  // 2xx answers not carrying their request's id
  std::uint64_t unanswered_ = 0;  // requests whose connection was lost or drain ran out
  std::uint64_t disconnected_ = 0;
  std::uint64_t connect_start_ns_ = 0;
  std::uint64_t start_ns_ = 0;
  double elapsed_s_ = 0;
  unsigned second_ = 0;
  int quiet_seconds_ = 0;
  bool began_ = false;
  bool measuring_ = false;
  bool sending_ = false;
  bool draining_ = false;
  bool stalled_ = false;
  bool finished_ = false;
};

}  // namespace

void run_ingest(Run& run) {
  IngestRun ingest(run);
  ingest.start();
  run.io.run();
  ingest.write_report();
}

}  // namespace switchboard::bench
