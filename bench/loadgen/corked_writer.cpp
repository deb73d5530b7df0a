#include "corked_writer.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace switchboard::bench {
namespace asio = boost::asio;
using boost::system::error_code;

CorkedWriter::CorkedWriter(asio::ip::tcp::socket& socket, ErrorHandler on_error)
    : socket_(socket), on_error_(std::move(on_error)) {}

void CorkedWriter::schedule() {
  if (stopped_ || writing_ || flush_posted_) return;
  flush_posted_ = true;
  asio::post(socket_.get_executor(), [this] {
    flush_posted_ = false;
    flush();
  });
}

void CorkedWriter::flush() {
  if (stopped_ || writing_ || outbox_.empty()) return;
  in_flight_.swap(outbox_);
  outbox_.clear();
  writing_ = true;
  asio::async_write(socket_, asio::buffer(in_flight_),
                    [this](const error_code& error, std::size_t) { on_written(error); });
}

void CorkedWriter::on_written(const error_code& error) {
  writing_ = false;
  if (stopped_) return;
  if (error) return on_error_(error);
  in_flight_.clear();
  flush();
}

void CorkedWriter::stop() {
  stopped_ = true;
  outbox_ = std::string();
}

void close_abortively(asio::ip::tcp::socket& socket) {
  if (!socket.is_open()) return;
  error_code ec;
  socket.set_option(asio::socket_base::linger(true, 0), ec);
  socket.close(ec);
}

}  // namespace switchboard::bench
