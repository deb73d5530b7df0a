// One client WebSocket connection of the load generator: TCP connect from a chosen source
// address, opening handshake, the protocol's opening exchange, then payloads in and
// publishes out.
//
// Reads are readiness-based: the connection waits until its socket is readable, then reads
// into the process-wide scratch buffer (big chunks, frames parsed in place) until the
// socket would block; only an incomplete trailing frame is kept per connection. So an idle
// or caught-up connection holds no read buffer, and no message costs an allocation.
// Writes are corked (CorkedWriter): everything queued during one loop turn leaves in one write.
//
// Thread safety: a connection and its handler live on the single thread running the
// io_context; nothing here is synchronised.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "corked_writer.hpp"
#include "protocol.hpp"

namespace switchboard::bench {

class Connection;

// What a connection reports. Callbacks run on the io_context thread; a handler may call
// any method of any connection from them, but must not destroy the connection.
class ConnectionHandler {
 public:
  virtual void on_ready(Connection& connection) = 0;
  // `received_ns`: monotonic time of the read that brought the payload.
  virtual void on_payload(Connection& connection, std::string_view payload,
                          std::uint64_t received_ns) = 0;
  // The connection failed or was closed by the server; it will not report again.
  virtual void on_closed(Connection& connection, std::string_view reason) = 0;

 protected:
  ~ConnectionHandler() = default;
};

// Shared by every connection of a process.
struct ConnectionContext {
  boost::asio::io_context& io;
  const Protocol& protocol;
  boost::asio::ip::tcp::endpoint server;
  std::string host_header;
  std::string request_target;
  std::vector<char> scratch;  // the read buffer; only used inside one read handler at a time
  std::size_t max_message_size = 1 << 20;
};

class Connection final : private MessageSink {
 public:
  enum class State : std::uint8_t { kIdle, kConnecting, kHandshake, kOpening, kReady, kClosed };

  Connection(ConnectionContext& context, ConnectionHandler& handler, std::uint32_t id);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Connects from `source` (an unspecified address lets the kernel choose).
  void start(const boost::asio::ip::address& source);

  // Queues one publish of `payload` (framed by the protocol); sent at the end of this turn.
  void publish(std::string_view payload);

  // Abortive close (RST, so that no TIME_WAIT is left behind); no callback follows.
  void abort();

  std::uint32_t id() const { return id_; }
  State state() const { return state_; }
  bool ready() const { return state_ == State::kReady; }

 private:
  void on_connected(const boost::system::error_code& error);
  void wait_readable();
  void on_readable(const boost::system::error_code& error);
  // Consumes complete units from [data, data + size); returns the bytes consumed.
  std::size_t consume(char* data, std::size_t size, std::uint64_t now_ns);
  std::size_t consume_handshake(const char* data, std::size_t size);
  bool handle_frame(bool fin, std::uint8_t opcode, std::string_view payload, std::uint64_t now);
  void deliver(std::string_view message, std::uint64_t now_ns);
  void send_text(std::string_view message) override;
  void queue_frame(std::uint8_t opcode, std::string_view payload);
  void fail(std::string_view reason);

  ConnectionContext& context_;
  ConnectionHandler& handler_;
  boost::asio::ip::tcp::socket socket_;
  CorkedWriter writer_;
  std::string expected_accept_;
  std::string pending_in_;  // an incomplete frame (or response head) carried to the next read
  std::string fragments_;   // a fragmented message being reassembled (rare)
  std::string message_;     // scratch for building one protocol message
  std::uint64_t mask_state_;
  std::uint32_t id_;
  State state_ = State::kIdle;
  std::uint8_t phase_ = 0;
  std::uint8_t fragment_opcode_ = 0;
};

}  // namespace switchboard::bench
