#include "webhook_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

namespace switchboard::node {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using JsonDone = std::function<void(unsigned, std::string)>;

// A call-out answer is a small JSON document; anything larger is a misconfigured endpoint, and
// buffering it would let that endpoint grow a worker's memory without bound.
constexpr std::uint64_t kMaxResponseBody = 1024 * 1024;
constexpr unsigned kFirstValidStatus = 100;
constexpr std::size_t kDetailExcerpt = 200;

// Where an http:// URL points, split into what the resolver and the request line need.
struct Target {
  std::string host;         // name or address, IPv6 without brackets
  std::string port;         // numeric, "80" when the URL names none
  std::string host_header;  // host[:port] as written in the URL
  std::string path;         // origin-form request target: path and query, never empty
};

// Parses `url`; on failure returns nullopt and says why in `error`.
std::optional<Target> parse_target(std::string_view url, std::string& error) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    error = "invalid URL: " + parsed.error().message();
    return std::nullopt;
  }
  const boost::urls::url_view& u = *parsed;
  if (u.scheme_id() == boost::urls::scheme::https) {
    error = "https is not supported";
    return std::nullopt;
  }
  if (u.scheme_id() != boost::urls::scheme::http) {
    error = "unsupported URL scheme '" + std::string(u.scheme()) + "' (only http)";
    return std::nullopt;
  }
  if (!u.has_authority() || u.encoded_host().empty()) {
    error = "URL names no host";
    return std::nullopt;
  }
  if (u.has_port() && u.port_number() == 0) {
    error = "invalid port in URL";
    return std::nullopt;
  }
  Target t;
  t.host = u.host_address();
  t.port = u.has_port() ? std::to_string(u.port_number()) : "80";
  t.host_header = std::string(u.encoded_host_and_port());
  t.path = std::string(u.encoded_target());
  if (t.path.empty() || t.path.front() != '/') t.path.insert(0, "/");
  return t;
}

// One POST over a pooled connection. Every handler runs on the pool's strand, so the call, its
// deadline timer and the pool never race even if several threads run `io`. The object lives as
// long as an operation or the pool's queue holds it (shared_from_this); `done_` is called
// exactly once.
class Call final : public CalloutPool::Waiter, public std::enable_shared_from_this<Call> {
 public:
  Call(std::shared_ptr<CalloutPool> pool, Target target, std::string body, const Callout& callout,
       JsonDone done)
      : pool_(std::move(pool)),
        target_(std::move(target)),
        timeout_(callout.timeout),
        stats_(callout.stats),
        deadline_(std::chrono::steady_clock::now() + timeout_),
        deadline_timer_(pool_->strand()),
        done_(std::move(done)) {
    request_.method(http::verb::post);
    request_.target(target_.path);
    request_.version(11);
    request_.set(http::field::host, target_.host_header);
    request_.set(http::field::user_agent, "switchboard");
    request_.set(http::field::content_type, "application/json");
    request_.keep_alive(true);
    request_.body() = std::move(body);
    request_.prepare_payload();
  }

  // Starts the call from the strand, so nothing of it runs on the caller's thread.
  void launch() {
    asio::post(pool_->strand(), [self = shared_from_this()] { self->start(); });
  }

  void granted(CalloutPool::Lease lease) override {
    lease_ = std::move(lease);
    has_lease_ = true;
    if (lease_.socket) return send();
    connect();
  }

 private:
  enum class Phase { waiting, resolving, connecting, exchanging, finished };

  void start() {
    // One timer for the whole call (waiting included); it cancels whatever is in progress.
    deadline_timer_.expires_at(deadline_);
    deadline_timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->on_deadline();
    });
    if (pool_->acquire(shared_from_this())) return;
    if (stats_) stats_->rejected_total.fetch_add(1, std::memory_order_relaxed);
    const CalloutLimits& limits = pool_->limits();
    finish(0, "too many call-outs waiting (" + std::to_string(limits.max_queued) + " queued for " +
                  std::to_string(limits.max_connections) + " connections)");
  }

  // Every handler checks timed_out_ too: its operation may have completed just before the
  // deadline cancelled it.
  void on_deadline() {
    if (phase_ == Phase::finished) return;
    timed_out_ = true;
    error_code ignored;
    switch (phase_) {
      case Phase::waiting:
        pool_->cancel(*this);
        return finish(0, timed_out());
      case Phase::resolving:
        resolver_->cancel();
        return;
      case Phase::connecting:
      case Phase::exchanging:
        lease_.socket->close(ignored);  // the pending operation ends with operation_aborted
        return;
      case Phase::finished:
        return;
    }
  }

  // A fresh connection in the lease's slot.
  void connect() {
    phase_ = Phase::resolving;
    resolver_.emplace(pool_->strand());
    resolver_->async_resolve(target_.host, target_.port, tcp::resolver::numeric_service,
                             [self = shared_from_this()](error_code ec, auto results) {
                               self->on_resolve(ec, std::move(results));
                             });
  }

  void on_resolve(error_code ec, const tcp::resolver::results_type& results) {
    if (ec || timed_out_) return fail(ec, "resolving the host");
    phase_ = Phase::connecting;
    lease_.socket = std::make_unique<CalloutPool::Socket>(pool_->strand());
    asio::async_connect(*lease_.socket, results,
                        [self = shared_from_this()](error_code e, auto) { self->on_connect(e); });
  }

  void on_connect(error_code ec) {
    if (ec || timed_out_) return fail(ec, "connect");
    send();
  }

  void send() {
    phase_ = Phase::exchanging;
    buffer_.clear();
    parser_.emplace();
    parser_->body_limit(kMaxResponseBody);
    http::async_write(
        *lease_.socket, request_,
        [self = shared_from_this()](error_code e, std::size_t) { self->on_write(e); });
  }

  void on_write(error_code ec) {
    if (ec || timed_out_) return exchange_failed(ec, "sending the request");
    http::async_read(*lease_.socket, buffer_, *parser_,
                     [self = shared_from_this()](error_code e, std::size_t) { self->on_read(e); });
  }

  void on_read(error_code ec) {
    if (ec || timed_out_) return exchange_failed(ec, "reading the response");
    auto& response = parser_->get();
    const unsigned status = response.result_int();
    if (status < kFirstValidStatus) return finish(0, "invalid HTTP status in the response");
    // Reusable only when the server keeps it open and nothing but this answer was sent.
    const bool keep_alive = response.keep_alive() && !parser_->need_eof() && buffer_.size() == 0;
    finish(status, std::move(response.body()), keep_alive);
  }

  // A kept-alive connection the server closed (it may do so at any moment while the
  // connection is idle) fails before any byte comes back: the server did not act on the
  // request, so it is sent once more on a fresh connection. Anything else is an answer.
  void exchange_failed(error_code ec, std::string_view step) {
    const bool nothing_back = !parser_->got_some() && buffer_.size() == 0;
    if (!lease_.reused || retried_ || timed_out_ || !nothing_back) return fail(ec, step);
    retried_ = true;
    error_code ignored;
    lease_.socket->close(ignored);
    lease_.socket.reset();
    lease_.reused = false;
    connect();
  }

  std::string timed_out() const {
    return "timed out after " + std::to_string(timeout_.count()) + " ms";
  }

  void fail(error_code ec, std::string_view step) {
    if (timed_out_) return finish(0, timed_out());
    if (ec == http::error::body_limit) return finish(0, "response body larger than 1 MiB");
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
      return finish(0, "connection closed before a complete response");
    }
    finish(0, std::string(step) + " failed: " + ec.message());
  }

  void finish(unsigned status, std::string body, bool keep_alive = false) {
    phase_ = Phase::finished;
    deadline_timer_.cancel();
    if (has_lease_) {
      has_lease_ = false;
      pool_->release(std::move(lease_), keep_alive);
    }
    auto done = std::move(done_);
    done(status, std::move(body));
  }

  std::shared_ptr<CalloutPool> pool_;
  Target target_;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<CalloutStats> stats_;
  std::chrono::steady_clock::time_point deadline_;
  asio::steady_timer deadline_timer_;
  Phase phase_ = Phase::waiting;
  bool timed_out_ = false;
  bool retried_ = false;
  bool has_lease_ = false;
  CalloutPool::Lease lease_;
  std::optional<tcp::resolver> resolver_;
  http::request<http::string_body> request_;
  std::optional<http::response_parser<http::string_body>> parser_;
  beast::flat_buffer buffer_;
  JsonDone done_;
};

void start_call(asio::io_context& io, const Callout& callout, std::string body,
                const JsonDone& done) {
  std::string error;
  auto target = parse_target(callout.url, error);
  if (!target) {
    // Even an immediate failure is reported from the loop, never from inside post_json: the
    // caller may hold locks or be on another thread.
    asio::post(io, [done, error = std::move(error)] { done(0, error); });
    return;
  }
  auto pool = CalloutPool::of(io, target->host + ' ' + target->port, callout.limits);
  auto call =
      std::make_shared<Call>(std::move(pool), std::move(*target), std::move(body), callout, done);
  call->launch();
}

}  // namespace

void post_json(boost::asio::io_context& io, const Callout& callout, std::string body,
               std::function<void(unsigned status, std::string response_body)> done) {
  try {
    start_call(io, callout, std::move(body), done);
  } catch (const std::exception& e) {
    // Only allocation can fail while setting a call up, before anything was posted; report it
    // the usual way if that is still possible.
    try {
      asio::post(io, [done = std::move(done), what = std::string(e.what())] {
        done(0, std::string("cannot start the request: ") + what);
      });
    } catch (...) {  // out of memory twice: nothing left to report with
    }
  }
}

void post_webhook(boost::asio::io_context& io, const Callout& callout, std::string body,
                  std::function<void(bool ok, std::string detail)> done) {
  post_json(io, callout, std::move(body),
            [done = std::move(done)](unsigned status, std::string response) {
              if (status >= 200 && status < 300) return done(true, {});
              if (status == 0) return done(false, std::move(response));
              std::string detail = "HTTP " + std::to_string(status);
              if (!response.empty()) {
                detail += ": " + response.substr(0, kDetailExcerpt);
              }
              done(false, std::move(detail));
            });
}

void close_idle_callouts(boost::asio::io_context& io) {
  try {
    CalloutPool::close_idle(io);
  } catch (const std::exception&) {  // allocation only: the idle timers then end on their own
  }
}

}  // namespace switchboard::node
