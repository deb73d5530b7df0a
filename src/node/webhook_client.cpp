#include "webhook_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
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

// One POST on its own connection. Every handler runs on one strand of `io`, so the resolve
// deadline timer and the resolver never race even if several threads run `io`. The object
// lives as long as an operation holds it (shared_from_this); `done_` is called exactly once.
class Call : public std::enable_shared_from_this<Call> {
 public:
  Call(asio::io_context& io, Target target, std::string body, std::chrono::milliseconds timeout,
       JsonDone done)
      : target_(std::move(target)),
        timeout_(timeout),
        strand_(asio::make_strand(io)),
        resolver_(strand_),
        resolve_timer_(strand_),
        stream_(strand_),
        done_(std::move(done)) {
    request_.method(http::verb::post);
    request_.target(target_.path);
    request_.version(11);
    request_.set(http::field::host, target_.host_header);
    request_.set(http::field::user_agent, "switchboard");
    request_.set(http::field::content_type, "application/json");
    request_.keep_alive(false);  // one connection per call: no pooling yet
    request_.body() = std::move(body);
    request_.prepare_payload();
    parser_.body_limit(kMaxResponseBody);
  }

  // Starts the call from the strand, so nothing of it runs on the caller's thread.
  void launch() {
    asio::post(strand_, [self = shared_from_this()] { self->start(); });
  }

 private:
  void start() {
    deadline_ = std::chrono::steady_clock::now() + timeout_;
    // tcp_stream's deadline does not cover name resolution, hence a timer of our own.
    resolve_timer_.expires_at(deadline_);
    resolve_timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->resolver_.cancel();
    });
    resolver_.async_resolve(target_.host, target_.port, tcp::resolver::numeric_service,
                            [self = shared_from_this()](error_code ec, auto results) {
                              self->on_resolve(ec, std::move(results));
                            });
  }

  bool past_deadline() const { return std::chrono::steady_clock::now() >= deadline_; }

  void on_resolve(error_code ec, const tcp::resolver::results_type& results) {
    resolve_timer_.cancel();
    if (ec) return fail(past_deadline() ? beast::error::timeout : ec, "resolving the host");
    stream_.expires_at(deadline_);
    stream_.async_connect(
        results, [self = shared_from_this()](error_code e, const auto&) { self->on_connect(e); });
  }

  void on_connect(error_code ec) {
    if (ec) return fail(ec, "connect");
    stream_.expires_at(deadline_);
    http::async_write(stream_, request_, [self = shared_from_this()](error_code e, std::size_t) {
      self->on_write(e);
    });
  }

  void on_write(error_code ec) {
    if (ec) return fail(ec, "sending the request");
    stream_.expires_at(deadline_);
    http::async_read(stream_, buffer_, parser_,
                     [self = shared_from_this()](error_code e, std::size_t) { self->on_read(e); });
  }

  void on_read(error_code ec) {
    if (ec) return fail(ec, "reading the response");
    auto& response = parser_.get();
    const unsigned status = response.result_int();
    if (status < kFirstValidStatus) return finish(0, "invalid HTTP status in the response");
    finish(status, std::move(response.body()));
  }

  void fail(error_code ec, std::string_view step) {
    if (ec == beast::error::timeout) {
      return finish(0, "timed out after " + std::to_string(timeout_.count()) + " ms");
    }
    if (ec == http::error::body_limit) return finish(0, "response body larger than 1 MiB");
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
      return finish(0, "connection closed before a complete response");
    }
    finish(0, std::string(step) + " failed: " + ec.message());
  }

  void finish(unsigned status, std::string body) {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    auto done = std::move(done_);
    done(status, std::move(body));
  }

  Target target_;
  std::chrono::milliseconds timeout_;
  std::chrono::steady_clock::time_point deadline_;
  asio::strand<asio::io_context::executor_type> strand_;
  tcp::resolver resolver_;
  asio::steady_timer resolve_timer_;
  beast::tcp_stream stream_;
  http::request<http::string_body> request_;
  http::response_parser<http::string_body> parser_;
  beast::flat_buffer buffer_;
  JsonDone done_;
};

void start_call(asio::io_context& io, const std::string& url, std::string body,
                std::chrono::milliseconds timeout, const JsonDone& done) {
  std::string error;
  auto target = parse_target(url, error);
  if (!target) {
    // Even an immediate failure is reported from the loop, never from inside post_json: the
    // caller may hold locks or be on another thread.
    asio::post(io, [done, error = std::move(error)] { done(0, error); });
    return;
  }
  auto call = std::make_shared<Call>(io, std::move(*target), std::move(body), timeout, done);
  call->launch();
}

}  // namespace

void post_json(boost::asio::io_context& io, const std::string& url, std::string body,
               std::chrono::milliseconds timeout,
               std::function<void(unsigned status, std::string response_body)> done) {
  try {
    start_call(io, url, std::move(body), timeout, done);
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

void post_webhook(boost::asio::io_context& io, const std::string& url, std::string body,
                  std::chrono::milliseconds timeout,
                  std::function<void(bool ok, std::string detail)> done) {
  post_json(io, url, std::move(body), timeout,
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

}  // namespace switchboard::node
