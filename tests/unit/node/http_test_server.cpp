#include "http_test_server.hpp"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>

namespace switchboard::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// One accepted connection: reads a request, then behaves as its route says; a kept-alive
// answer reads the next request on the same connection.
class HttpTestServer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(HttpTestServer& server, tcp::socket socket)
      : server_(server), socket_(std::move(socket)), timer_(socket_.get_executor()) {
    server_.opened();
  }

  void start() {
    parser_.emplace();
    parser_->body_limit(4 * 1024 * 1024);
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec, std::size_t) {
                       if (ec) return self->close();  // the client closed (or sent garbage)
                       self->on_request();
                     });
  }

 private:
  void on_request() {
    const auto& m = parser_->get();
    Request r{std::string(m.method_string()), std::string(m.target()),
              std::string(m[http::field::content_type]), std::string(m[http::field::host]),
              m.body()};
    const Reply reply = server_.reply_for(r);
    switch (reply.behaviour) {
      case Behaviour::answer:
        if (reply.delay.count() == 0) return answer(reply);
        timer_.expires_after(reply.delay);
        timer_.async_wait([self = shared_from_this(), reply](error_code) { self->answer(reply); });
        return;
      case Behaviour::hang:
        server_.hanging_.push_back(shared_from_this());
        return;
      case Behaviour::close:
        return close();
      case Behaviour::garbage:
        raw_ = reply.body;
        asio::async_write(socket_, asio::buffer(raw_),
                          [self = shared_from_this()](error_code, std::size_t) { self->close(); });
        return;
    }
  }

  void answer(const Reply& reply) {
    response_ = {};
    response_.result(reply.status);
    response_.version(11);
    response_.set(http::field::content_type, "application/json");
    response_.keep_alive(reply.keep_alive);
    response_.body() = reply.body;
    response_.prepare_payload();
    http::async_write(
        socket_, response_,
        [self = shared_from_this(), keep = reply.keep_alive](error_code ec, std::size_t) {
          if (keep && !ec) return self->start();
          self->close();
        });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    socket_.close(ignored);
    server_.closed();
  }

  HttpTestServer& server_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::string raw_;
  bool closed_ = false;
};

HttpTestServer::HttpTestServer()
    : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
  port_ = acceptor_.local_endpoint().port();
  accept();
  thread_ = std::thread([this] { io_.run(); });
}

HttpTestServer::~HttpTestServer() {
  io_.stop();
  thread_.join();
}

void HttpTestServer::route(const std::string& path, Reply reply) {
  route(path, std::vector<Reply>{std::move(reply)});
}

void HttpTestServer::route(const std::string& path, std::vector<Reply> replies) {
  std::lock_guard lock(mutex_);
  routes_[path] = Route{std::move(replies), 0};
}

std::string HttpTestServer::url(const std::string& path_and_query) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path_and_query;
}

std::vector<HttpTestServer::Request> HttpTestServer::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

std::size_t HttpTestServer::accepted() const {
  std::lock_guard lock(mutex_);
  return accepted_;
}

std::size_t HttpTestServer::max_open() const {
  std::lock_guard lock(mutex_);
  return max_open_;
}

void HttpTestServer::opened() {
  std::lock_guard lock(mutex_);
  ++accepted_;
  max_open_ = std::max(max_open_, ++open_);
}

void HttpTestServer::closed() {
  std::lock_guard lock(mutex_);
  --open_;
}

void HttpTestServer::accept() {
  acceptor_.async_accept([this](error_code ec, tcp::socket socket) {
    if (ec) return;
    std::make_shared<Session>(*this, std::move(socket))->start();
    accept();
  });
}

HttpTestServer::Reply HttpTestServer::reply_for(const Request& request) {
  const std::string path = request.target.substr(0, request.target.find('?'));
  std::lock_guard lock(mutex_);
  received_.push_back(request);
  auto it = routes_.find(path);
  if (it == routes_.end()) return Reply{Behaviour::answer, 404, R"({"error":"no route"})"};
  Route& route = it->second;
  const std::size_t n = std::min(route.served++, route.replies.size() - 1);
  return route.replies[n];
}

std::uint16_t closed_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

}  // namespace switchboard::test
