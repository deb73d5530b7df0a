// One kept-alive HTTP/1.1 client connection of the load generator, with pipelining: requests
// are written as soon as they are queued (corked, so that everything queued in one loop turn
// leaves in one write) without waiting for earlier answers, and answers are read in arrival
// order, which RFC 9112 section 9.3.2 makes the request order. It knows nothing of what is
// requested: the caller renders each request and pairs the answers with its own record.
//
// Thread safety: a client and its handler live on the single thread running the io_context;
// nothing here is synchronised.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "corked_writer.hpp"
#include "http_response.hpp"

namespace switchboard::bench {

class HttpClient;

// What a client reports. Callbacks run on the io_context thread; a handler may call any
// method of any client from them (send more, abort), but must not destroy the client.
class HttpClientHandler {
 public:
  virtual void on_connected(HttpClient& client) = 0;
  // The next answer, in request order. `received_ns`: monotonic time of the read that
  // completed it.
  virtual void on_response(HttpClient& client, const HttpResponse& response,
                           std::uint64_t received_ns) = 0;
  // The connection failed (connect, read, write, a malformed answer) or the server closed it;
  // it will not report again, and requests still unanswered never will be.
  virtual void on_failed(HttpClient& client, std::string_view reason) = 0;

 protected:
  ~HttpClientHandler() = default;
};

class HttpClient {
 public:
  // Answers larger than this (head and body) fail the connection: far above any server API
  // answer, and what the read buffer holds.
  static constexpr std::size_t kMaxResponseSize = 64 * 1024;

  HttpClient(boost::asio::io_context& io, HttpClientHandler& handler, std::uint32_t id);
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  void connect(const boost::asio::ip::tcp::endpoint& server);

  // Queues one complete request (head and body); sent at the end of this loop turn. Only
  // once connected (from on_connected on).
  void send(std::string_view request);

  // Abortive close (RST, so that no TIME_WAIT is left behind); no callback follows.
  void abort();

  std::uint32_t id() const { return id_; }
  bool connected() const { return state_ == State::kConnected; }
  // Requests sent (or queued) and not answered yet.
  std::size_t unanswered() const { return unanswered_; }

 private:
  enum class State : std::uint8_t { kIdle, kConnecting, kConnected, kClosed };

  void on_connected(const boost::system::error_code& error);
  void wait_readable();
  void on_readable(const boost::system::error_code& error);
  // Hands every complete answer in the read buffer to the handler; false once closed.
  bool consume(std::uint64_t now_ns);
  void fail(std::string_view reason);

  HttpClientHandler& handler_;
  boost::asio::ip::tcp::socket socket_;
  CorkedWriter writer_;
  std::vector<char> in_;  // answers read, the first `in_size_` bytes in use
  std::size_t in_size_ = 0;
  std::size_t unanswered_ = 0;
  std::uint32_t id_;
  State state_ = State::kIdle;
};

}  // namespace switchboard::bench
