#include "http_client.hpp"

#include <cstring>

#include "payload.hpp"

namespace switchboard::bench {
namespace asio = boost::asio;
using boost::system::error_code;

HttpClient::HttpClient(asio::io_context& io, HttpClientHandler& handler, std::uint32_t id)
    : handler_(handler),
      socket_(io),
      writer_(socket_, [this](const error_code& error) { fail("write: " + error.message()); }),
      id_(id) {}

void HttpClient::connect(const asio::ip::tcp::endpoint& server) {
  state_ = State::kConnecting;
  socket_.async_connect(server, [this](const error_code& error) { on_connected(error); });
}

void HttpClient::on_connected(const error_code& error) {
  if (state_ == State::kClosed) return;
  if (error) return fail("connect: " + error.message());
  error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  if (!ec) socket_.non_blocking(true, ec);
  if (ec) return fail("socket setup: " + ec.message());
  in_.resize(kMaxResponseSize);
  state_ = State::kConnected;
  wait_readable();
  handler_.on_connected(*this);
}

void HttpClient::wait_readable() {
  socket_.async_wait(asio::socket_base::wait_read,
                     [this](const error_code& error) { on_readable(error); });
}

void HttpClient::on_readable(const error_code& error) {
  if (state_ == State::kClosed) return;
  if (error) return fail("wait: " + error.message());
  // Drain until the socket would block: one wake-up serves every answer that has arrived.
  for (;;) {
    if (in_size_ == in_.size()) return fail("answer larger than the read buffer");
    error_code ec;
    const std::size_t n =
        socket_.read_some(asio::buffer(in_.data() + in_size_, in_.size() - in_size_), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) {
      return fail(ec == asio::error::eof ? std::string("server closed the connection")
                                         : "read: " + ec.message());
    }
    in_size_ += n;
    if (!consume(monotonic_ns())) return;
  }
  wait_readable();
}

bool HttpClient::consume(std::uint64_t now_ns) {
  std::size_t offset = 0;
  while (offset < in_size_) {
    HttpResponse response;
    std::string_view problem;
    const ResponseParse status =
        parse_response(std::string_view(in_.data() + offset, in_size_ - offset), kMaxResponseSize,
                       response, problem);
    if (status == ResponseParse::kNeedMore) break;
    if (status == ResponseParse::kError) {
      fail("malformed answer: " + std::string(problem));
      return false;
    }
    if (unanswered_ == 0) {
      fail("an answer to no request");
      return false;
    }
    offset += response.size;
    --unanswered_;
    handler_.on_response(*this, response, now_ns);
    if (state_ == State::kClosed) return false;
    if (response.closes) {
      fail("server closed the connection (Connection: close)");
      return false;
    }
  }
  // What is left is the start of the next answer; answers are small, so this moves little.
  std::memmove(in_.data(), in_.data() + offset, in_size_ - offset);
  in_size_ -= offset;
  return true;
}

void HttpClient::send(std::string_view request) {
  if (state_ != State::kConnected) return;
  writer_.outbox().append(request);
  ++unanswered_;
  writer_.schedule();
}

void HttpClient::fail(std::string_view reason) {
  if (state_ == State::kClosed) return;
  abort();
  handler_.on_failed(*this, reason);
}

void HttpClient::abort() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  writer_.stop();
  close_abortively(socket_);
  in_ = std::vector<char>();
}

}  // namespace switchboard::bench
