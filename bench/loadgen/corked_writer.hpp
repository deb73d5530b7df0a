// The write side of a load-generator connection: bytes queued during one loop turn leave in
// one write at its end (a cork), and what is queued while a write is under way leaves in the
// next one, so that a burst of small messages costs one write, not one each.
//
// Thread safety: single-threaded, on the thread running the socket's io_context.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <string>

namespace switchboard::bench {

class CorkedWriter {
 public:
  using ErrorHandler = std::function<void(const boost::system::error_code&)>;

  // `on_error` runs when a write fails, unless stop() came first.
  CorkedWriter(boost::asio::ip::tcp::socket& socket, ErrorHandler on_error);

  // The bytes waiting for the next write: append to it, then schedule() or flush().
  std::string& outbox() { return outbox_; }

  // Writes the outbox at the end of this loop turn (or when the write under way completes).
  void schedule();
  // Writes the outbox now, unless a write is under way (its completion writes it).
  void flush();
  // No more writes or callbacks; what was waiting is dropped.
  void stop();

 private:
  void on_written(const boost::system::error_code& error);

  boost::asio::ip::tcp::socket& socket_;
  ErrorHandler on_error_;
  std::string outbox_;     // queued since the last write started
  std::string in_flight_;  // being written; kept until the write completes
  bool writing_ = false;
  bool flush_posted_ = false;
  bool stopped_ = false;
};

// Closes `socket` with a reset (SO_LINGER 0), so that no TIME_WAIT is left behind: a load
// generator opening and dropping thousands of connections would otherwise run out of ports.
void close_abortively(boost::asio::ip::tcp::socket& socket);

}  // namespace switchboard::bench
