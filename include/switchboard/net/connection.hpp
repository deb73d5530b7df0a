#pragma once
// One accepted TCP connection: an HTTP/1.1 connection until it upgrades, then a WebSocket
// connection. Reads go through the worker's shared read buffer (no per-connection buffer while
// idle); writes are queued as shared frames and flushed with one gather write per loop turn.
// The socket is a plain descriptor in the worker's edge-triggered epoll set: no Asio socket,
// reactor registration or pending operation per connection.
#include <sys/types.h>
#include <sys/uio.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/http/request.hpp"
#include "switchboard/net/handover.hpp"
#include "switchboard/ws/frame_builder.hpp"
#include "switchboard/ws/message_reader.hpp"
#include "switchboard/ws/shared_frame.hpp"

typedef struct ssl_st SSL;

namespace switchboard::http {
struct Response;
}  // namespace switchboard::http

namespace switchboard::net {

class Endpoint;
class Worker;

// Thread safety: a Connection is used only on its worker's thread. Other threads reach it by
// posting to the worker (Worker::post) and looking it up there.
class Connection final : private ws::MessageHandler {

 public:
  enum class Phase : std::uint8_t {
    http,      // reading HTTP requests (handshake pending)
    http_closing,  // a response that ends the connection is queued: input is discarded, then
                   // half-close and a bounded wait for the peer's FIN (RFC 9112 §9.6)
    moving,    // an upgrade that goes to another worker (Endpoint::upgrade_worker): the
               // worker holds it (Worker::moving) until the socket is handed over
    open,      // WebSocket open
    closing,   // close frame sent, waiting for the peer's (reads still parsed)
    failing,   // close frame sent after a protocol error: discard input until EOF
    finished,  // socket closed; waiting for pending operations before destruction
  };

 private:
  // What every delivery touches comes first, so that a fan-out costs one cache line per
  // recipient (the queue's storage aside).
  std::vector<ws::SharedFrame> queue_;
  std::size_t queued_bytes_ = 0;
  std::uint32_t queue_head_ = 0;    // first frame not fully written
  std::uint32_t head_offset_ = 0;   // bytes of queue_[queue_head_] already written
  Phase phase_ = Phase::http;
  bool deflate_ = false;
  bool writing_ = false;            // the socket's send buffer is full: waiting for EPOLLOUT

 public:
  bool flush_scheduled_ = false;    // in the worker's dirty list

  // Takes ownership of `fd`, a connected non-blocking TCP socket.
  Connection(Worker& worker, int fd, std::uint64_t id);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  std::uint64_t id() const noexcept { return id_; }
  Worker& worker() noexcept { return worker_; }
  Phase phase() const noexcept { return phase_; }
  bool is_open() const noexcept { return phase_ == Phase::open; }
  bool is_http() const noexcept { return phase_ == Phase::http || phase_ == Phase::http_closing; }
  bool deflate() const noexcept { return deflate_; }

  // Queues a message built once for many connections (the deflated variant when this
  // connection negotiated permessage-deflate). Returns false when the connection is not open
  // or the message pushed it over its outbound bound (it is then being closed with 4008).
  bool send(const ws::OutboundMessage& message);
  // Queues an already framed message.
  bool send_frame(ws::SharedFrame frame);
  // Frames and queues one message for this connection only.
  bool send_text(std::string_view text);
  bool send_binary(std::string_view data);

  // Starts the closing handshake with `code` (valid on the wire) and `reason`.
  void close(std::uint16_t code, std::string_view reason);
  // Closes the socket without a closing handshake.
  void abort();

  // Per-endpoint bookkeeping: an index the endpoint may use for O(1) removal from its own
  // containers, and an opaque pointer for its per-connection state (it owns what it stores).
  std::uint32_t endpoint_slot = 0;
  void* endpoint_data = nullptr;

  // The peer's IP address (empty if the socket is gone).
  std::string remote_address() const;

  // Bytes waiting in the outbound queue.
  std::size_t queued_bytes() const noexcept { return queued_bytes_; }

  // Called by the worker.
  void start();
  // Instead of start(), for a connection handed over by another worker.
  void resume(Handover handover);
  void on_events(std::uint32_t events);  // epoll readiness (EPOLLIN, EPOLLOUT, ...)
  void flush();                      // one gather write of everything queued
  void on_sweep(std::uint32_t now);  // liveness: timeouts and pings (now: worker ticks in ms)
  bool reclaimable() const noexcept {
    return phase_ == Phase::finished && pending_ops_ == 0 && !flush_scheduled_;
  }
  Connection* prev_ = nullptr;    // worker's intrusive list of connections
  Connection* next_ = nullptr;

 private:
  // ws::MessageHandler
  void on_message(ws::Opcode op, std::string_view payload) override;
  void on_ping(std::string_view payload) override;
  void on_pong(std::string_view payload) override;
  void on_close(std::uint16_t code, std::string_view reason) override;

  void on_readable();
  bool read_available();  // false: the socket is done (EOF or error)
  void later(void (Connection::*step)());  // runs `step` in a later turn of the worker's loop
  ssize_t receive(std::uint8_t* buffer, std::size_t size);
  ssize_t write_plain();
  ssize_t write_tls();
  void handle_http_bytes(const std::uint8_t* data, std::size_t size);
  void serve_http_requests();  // parses and serves what http_buffer_ holds, one at a time
  void resume_http();          // after a late answer: what waited behind the request
  void end_http_input();       // the peer's EOF
  void handle_ws_bytes(std::uint8_t* data, std::size_t size);
  void handle_request(const http::Request& request);
  void handle_upgrade(const http::Request& request);
  void complete_handover(std::size_t used);
  void respond(const http::Response& response, bool keep_alive);
  void close_after_response();  // to http_closing
  void discard_http_input(std::size_t from);
  std::uint32_t request_deadline() const noexcept;
  void send_raw(std::string_view bytes);  // HTTP bytes (handshake responses)
  bool enqueue(ws::SharedFrame frame, bool control);
  void cut_off_slow_consumer();
  void note_backlog();  // after a write that left bytes queued: the soft limit's clock
  void fail(std::uint16_t code, std::string_view reason);
  void after_write_drained();
  void send_close_notify();
  void finish(std::uint16_t code);  // close the socket; tell the endpoint once
  void notify_endpoint_closed(std::uint16_t code);

  Worker& worker_;
  int fd_;  // -1 once closed
  SSL* ssl_ = nullptr;  // the TLS session when the port speaks TLS
  std::uint64_t id_;
  Endpoint* endpoint_ = nullptr;
  ws::MessageReader reader_;
  std::string http_buffer_;  // HTTP bytes not parsed yet; empty once upgraded
  http::RequestParser parser_;  // holds memory only while a request has partly arrived

  std::uint32_t last_read_ = 0;     // worker ticks (ms) of the last byte received
  std::uint32_t last_ping_ = 0;     // when the last ping was sent
  std::uint32_t deadline_ = 0;      // request, handshake or closing deadline, 0: none
  std::uint32_t over_limit_since_ = 0;  // queued past a write over outbound_queue_limit, 0: not
  std::uint8_t pending_ops_ = 0;    // posted tasks that refer to this (the object outlives them)
  bool close_sent_ = false;
  bool close_received_ = false;
  bool endpoint_notified_ = false;
  bool shutdown_after_flush_ = false;
  bool peer_closed_ = false;  // epoll reported the peer's FIN or an error
  bool tls_read_wants_write_ = false;  // SSL_read needs writability to go on
  bool tls_write_wants_read_ = false;  // SSL_write needs readability to go on
  bool request_in_flight_ = false;  // an HTTP request awaits its answer: nothing more is read
  bool dispatching_ = false;        // the router is running a handler (answers are synchronous)
  bool input_ended_ = false;        // HTTP: the peer's EOF has been read
};

}  // namespace switchboard::net
