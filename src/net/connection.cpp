#include "switchboard/net/connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

#include "switchboard/http/request.hpp"
#include "switchboard/http/response.hpp"
#include "switchboard/http/router.hpp"
#include "switchboard/http/upgrade_request.hpp"
#include "switchboard/net/endpoint.hpp"
#include "switchboard/net/liveness.hpp"
#include "switchboard/net/server.hpp"
#include "switchboard/net/tls.hpp"
#include "switchboard/net/worker.hpp"
#include "switchboard/ws/close_code.hpp"
#include "switchboard/ws/handshake.hpp"

namespace switchboard::net {
namespace {

// How long a closing handshake may take before the socket is closed regardless.
constexpr std::uint32_t kCloseTimeoutMs = 2000;
// Reads per readiness event before yielding to other connections (fairness under floods).
constexpr int kReadRoundsPerTurn = 4;
// Frames gathered into one sendmsg() call.
constexpr int kMaxIov = 64;

std::uint32_t nonzero(std::uint32_t t) noexcept { return t == 0 ? 1 : t; }

HandshakeResult result_for_status(unsigned status) noexcept {
  switch (status) {
    case 403: return HandshakeResult::forbidden;
    case 404: return HandshakeResult::not_found;
    case 405: return HandshakeResult::method_not_allowed;
    case 426: return HandshakeResult::upgrade_required;
    case 431: return HandshakeResult::too_large;
    case 503: return HandshakeResult::unavailable;
    default: return HandshakeResult::bad_request;
  }
}

}  // namespace

Connection::Connection(Worker& worker, int fd, std::uint64_t id)
    : worker_(worker), fd_(fd), id_(id), reader_(worker.reader_limits()) {}

Connection::~Connection() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (fd_ >= 0) ::close(fd_);
}

std::string Connection::remote_address() const {
  if (fd_ < 0) return {};
  boost::asio::ip::tcp::endpoint endpoint;
  socklen_t size = static_cast<socklen_t>(endpoint.capacity());
  if (::getpeername(fd_, endpoint.data(), &size) != 0) return {};
  endpoint.resize(size);
  return endpoint.address().to_string();
}

void Connection::start() {
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  last_read_ = worker_.now();
  deadline_ = request_deadline();
  worker_.counters().http_connections.add();
  if (const TlsContext* tls = worker_.tls()) {
    ssl_ = tls->new_session(fd_);
    if (ssl_ == nullptr) return finish(ws::close_code::kAbnormal);
  }
  if (!worker_.watch(fd_, *this)) return finish(ws::close_code::kAbnormal);
  // Read before the first event: bytes that arrived before the socket was watched may not
  // raise a readiness edge of their own.
  on_readable();
}

// ---------------------------------------------------------------------------------------
// Readiness (edge-triggered: each edge is acted on until the socket would block)

void Connection::on_events(std::uint32_t events) {
  if (phase_ == Phase::finished) return;
  // The peer's FIN (or an error) is signalled once: from then on reads go on to EOF.
  if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) peer_closed_ = true;
  const bool readable = (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
  const bool writable = (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0;
  // TLS: a read may wait for writability (the handshake's answer) and a write for
  // readability (a post-handshake message); each resumes on the other's edge.
  if (readable || (writable && std::exchange(tls_read_wants_write_, false))) on_readable();
  if (phase_ == Phase::finished) return;
  // A full send buffer has room again (or the socket failed: the write reports it).
  const bool resume_write = writable || (readable && tls_write_wants_read_);
  if (writing_ && resume_write) {
    writing_ = false;
    tls_write_wants_read_ = false;
    flush();
  }
}

// ---------------------------------------------------------------------------------------
// Reading

void Connection::on_readable() {
  if (read_available()) return;
  if (is_http()) return end_http_input();
  finish(ws::close_code::kAbnormal);
}

// The peer has stopped sending (or the socket failed, which the next write reports). What it
// sent before is still answered, and the last answer written before the socket is closed: a
// client may half-close right after its requests (RFC 9112 §9.6).
void Connection::end_http_input() {
  input_ended_ = true;
  if (phase_ == Phase::http) {
    serve_http_requests();
    // An upgrade among them: a WebSocket whose peer has gone.
    if (!is_http() && phase_ != Phase::finished) finish(ws::close_code::kAbnormal);
    return;
  }
  if (queued_bytes_ == 0) finish(ws::close_code::kNormal);  // else after_write_drained()
}

// Plain: recv. TLS: SSL_read (which also drives the handshake), mapped onto recv's answers:
// bytes, 0 at the peer's close, -1 with errno EAGAIN when nothing more can be read now.
ssize_t Connection::receive(std::uint8_t* buffer, std::size_t size) {
  if (ssl_ == nullptr) return ::recv(fd_, buffer, size, 0);
  const int n = SSL_read(ssl_, buffer, static_cast<int>(std::min<std::size_t>(size, INT_MAX)));
  if (n > 0) return n;
  switch (SSL_get_error(ssl_, n)) {
    case SSL_ERROR_WANT_READ:
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_WANT_WRITE:  // the handshake's answer did not fit the send buffer
      tls_read_wants_write_ = true;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:  // close_notify
      return 0;
    default:  // a failed handshake (a plain-text client, a bad record), or a reset
      ERR_clear_error();
      errno = EPROTO;
      return -1;
  }
}

bool Connection::read_available() {
  for (int round = 0; round < kReadRoundsPerTurn; ++round) {
    // While a request is being answered its successors wait in the socket (bounded by TCP's
    // window, not by our memory); resume_http() reads them.
    if (request_in_flight_) return true;
    const ssize_t n = receive(worker_.read_buffer(), worker_.read_buffer_size());
    if (n > 0) {
      last_read_ = worker_.now();
      const auto size = static_cast<std::size_t>(n);
      if (phase_ == Phase::http) {
        handle_http_bytes(worker_.read_buffer(), size);
      } else if (phase_ == Phase::http_closing) {
        worker_.counters().http_discarded_bytes_total.add(size);
      } else {
        handle_ws_bytes(worker_.read_buffer(), size);
      }
      if (phase_ == Phase::finished) return true;
      // A short read drained the socket; bytes arriving after it raise a new edge (a FIN
      // already signalled does not: then this reads on to EOF). Not so with TLS, which
      // returns one record per read: it reads until OpenSSL wants more bytes.
      if (size < worker_.read_buffer_size() && !peer_closed_ && ssl_ == nullptr) return true;
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
  // Still more to read: come back after the other ready connections had their turn. No new
  // edge comes for bytes already waiting, so this continues without waiting for one.
  later(&Connection::on_readable);
  return true;
}

// The handshake timeout from now: the first request (or the upgrade) must complete within it
// from the accept, every later one within it from the previous response.
std::uint32_t Connection::request_deadline() const noexcept {
  return nonzero(worker_.now() +
                 static_cast<std::uint32_t>(worker_.config().handshake_timeout.count()));
}

void Connection::later(void (Connection::*step)()) {
  ++pending_ops_;  // the connection outlives the wait
  worker_.post([this, step] {
    --pending_ops_;
    if (phase_ == Phase::finished) return worker_.schedule_reclaim();
    (this->*step)();
  });
}

void Connection::handle_http_bytes(const std::uint8_t* data, std::size_t size) {
  http_buffer_.append(reinterpret_cast<const char*>(data), size);
  serve_http_requests();
}

// One request at a time: the next is not parsed before the previous one has its response
// queued, so that responses leave in request order (a handler may answer later, from an
// engine callback) and nothing is answered behind a response that closes the connection.
void Connection::serve_http_requests() {
  const auto& cfg = worker_.config();
  const http::ParseLimits limits{cfg.max_request_size, cfg.max_body_size};
  std::size_t used = 0;  // bytes of http_buffer_ the parser has taken
  while (phase_ == Phase::http && !request_in_flight_ && used < http_buffer_.size()) {
    http::ParseOutcome out = parser_.parse(std::string_view(http_buffer_).substr(used), limits);
    used += out.consumed;
    if (out.status == http::ParseStatus::incomplete) break;
    if (out.status == http::ParseStatus::error) {
      // An unparseable request cannot be told from a broken upgrade: it is counted as a
      // handshake failure, so that no refusal goes uncounted.
      worker_.counters().handshake(result_for_status(out.error_status));
      respond(http::Response::error(out.error_status, "bad_request", out.error_reason), false);
      break;
    }
    handle_request(out.request);
    if (phase_ == Phase::moving) return complete_handover(used);
  }
  if (phase_ == Phase::open) {
    // Frames sent right behind the upgrade request.
    std::string frames = std::exchange(http_buffer_, std::string());
    frames.erase(0, used);
    if (!frames.empty()) {
      handle_ws_bytes(reinterpret_cast<std::uint8_t*>(frames.data()), frames.size());
    }
    return;
  }
  if (phase_ != Phase::http) return discard_http_input(used);
  if (input_ended_ && !request_in_flight_) {
    // Nothing more will come: the last answer closes the connection (a partial request left
    // in the buffer can no longer complete).
    if (queued_bytes_ == 0) return finish(ws::close_code::kNormal);
    close_after_response();
    return discard_http_input(used);
  }
  http_buffer_.erase(0, used);
  // Between requests a connection keeps no buffer (memory per idle connection).
  if (http_buffer_.empty() && !parser_.in_progress()) std::string().swap(http_buffer_);
}

// After a response that ends the connection nothing more is a request: the buffered bytes
// from `from` on are dropped (counted) and the buffer released.
void Connection::discard_http_input(std::size_t from) {
  if (phase_ == Phase::http_closing && http_buffer_.size() > from) {
    worker_.counters().http_discarded_bytes_total.add(http_buffer_.size() - from);
  }
  std::string().swap(http_buffer_);
}

// An answer that came after its handler returned: what waited behind the request (in the
// buffer, then in the socket) is served in a later loop turn, never inside the callback that
// answered, which may be another connection's and be using the worker's read buffer.
void Connection::resume_http() {
  if (phase_ == Phase::http) serve_http_requests();
  if (phase_ != Phase::finished && !request_in_flight_ && !input_ended_) on_readable();
}

void Connection::handle_request(const http::Request& request) {
  if (http::is_websocket_upgrade(request)) return handle_upgrade(request);
  worker_.counters().http_requests_total.add();
  const bool keep_alive = request.keep_alive && !worker_.draining();
  // Until the answer, nothing more is read and the client's clock does not run.
  request_in_flight_ = true;
  deadline_ = 0;
  // The connection stays alive until the handler answers, even if the socket fails first.
  ++pending_ops_;
  dispatching_ = true;
  const http::Respond answer_with = [this, keep_alive](http::Response response) {
    auto answer = [this, keep_alive, response = std::move(response)] {
      --pending_ops_;
      if (phase_ == Phase::finished) return worker_.schedule_reclaim();
      request_in_flight_ = false;
      respond(response, keep_alive);
      // A synchronous answer: the parse loop that dispatched the request goes on by itself.
      if (!dispatching_) later(&Connection::resume_http);
    };
    // A handler that completed on another thread (an engine callback) is brought back here.
    if (worker_.io().get_executor().running_in_this_thread()) {
      answer();
    } else {
      worker_.post(std::move(answer));
    }
  };
  // An endpoint may serve plain requests on its own path (Socket.IO's long-polling).
  Endpoint* endpoint = worker_.endpoint(request.path());
  if (endpoint == nullptr || !endpoint->on_request(request, *this, answer_with)) {
    worker_.router().dispatch(request, answer_with);
  }
  dispatching_ = false;
}

void Connection::handle_upgrade(const http::Request& request) {
  auto refuse = [&](const http::Response& response, HandshakeResult result) {
    worker_.counters().handshake(result);
    respond(response, false);
  };
  if (worker_.draining()) {
    auto response = http::Response::error(503, "draining", "server is restarting");
    response.headers.emplace_back("Retry-After", "5");
    return refuse(std::move(response), HandshakeResult::unavailable);
  }
  Endpoint* endpoint = worker_.endpoint(request.path());
  if (endpoint == nullptr) {
    return refuse(http::Response::error(404, "not_found", "no WebSocket endpoint at this path"),
                  HandshakeResult::not_found);
  }
  if (const auto owner = endpoint->upgrade_worker(request);
      owner && *owner != worker_.index() && *owner < worker_.server().worker_count()) {
    // One upgrade moves at a time: it is handed over before the parse loop reads on.
    Handover& moving = worker_.moving();
    moving.worker = *owner;
    moving.request = request;
    phase_ = Phase::moving;
    return;  // completed by serve_http_requests, which knows what followed the request
  }
  const ws::HandshakeResult verdict =
      ws::evaluate_upgrade(http::to_upgrade_request(request), worker_.handshake_policy());
  if (!verdict.accept) {
    worker_.counters().handshake(result_for_status(verdict.error.status));
    send_raw(ws::render_handshake_error(verdict.error));
    return close_after_response();
  }
  if (auto refusal = endpoint->on_upgrade(request, *this)) {
    return refuse(std::move(*refusal), HandshakeResult::rejected);
  }
  send_raw(ws::render_handshake_response(*verdict.accept));
  endpoint_ = endpoint;
  if (verdict.accept->deflate) {
    deflate_ = true;
    reader_.enable_deflate(std::make_unique<ws::Inflater>(*verdict.accept->deflate));
  }
  phase_ = Phase::open;
  deadline_ = 0;
  last_ping_ = last_read_;
  auto& counters = worker_.counters();
  counters.handshake(HandshakeResult::ok);
  counters.http_connections.sub();
  counters.ws_connections.add();
  endpoint_->on_open(*this);
}

// The socket, its TLS state and what followed the upgrade request go to the worker that must own
// the connection; this Connection ends without touching the socket.
void Connection::complete_handover(std::size_t used) {
  auto handover = std::make_shared<Handover>(std::exchange(worker_.moving(), Handover{}));
  handover->fd = std::exchange(fd_, -1);
  handover->ssl = std::exchange(ssl_, nullptr);
  handover->leftover = http_buffer_.substr(used);
  worker_.unwatch(handover->fd);
  worker_.counters().http_connections.sub();
  phase_ = Phase::finished;
  std::string().swap(http_buffer_);
  parser_.reset();
  worker_.retire(*this);
  Worker& owner = worker_.server().worker(handover->worker);
  // Never run (the owner stopped first), the handover closes the socket and frees the TLS
  // session as it is destroyed.
  owner.post([&owner, handover]() mutable { owner.adopt(std::move(*handover)); });
}

void Connection::resume(Handover handover) {
  ssl_ = std::exchange(handover.ssl, nullptr);
  last_read_ = worker_.now();
  deadline_ = request_deadline();
  worker_.counters().http_connections.add();
  if (!worker_.watch(fd_, *this)) return finish(ws::close_code::kAbnormal);
  // What the host established about the connection is the endpoint's during this request only.
  struct ContextScope {
    Worker& worker;
    ~ContextScope() { worker.set_upgrade_context(nullptr); }
  } scope{worker_};
  worker_.set_upgrade_context(handover.context.has_value() ? &handover.context : nullptr);
  handle_request(handover.request);
  worker_.set_upgrade_context(nullptr);
  if (phase_ == Phase::finished) return;
  if (phase_ == Phase::moving) {
    // Adopted by a worker whose endpoint names another owner: on it goes, with what followed.
    worker_.moving().context = std::move(handover.context);
    http_buffer_ = std::move(handover.leftover);
    return complete_handover(0);
  }
  if (!handover.leftover.empty()) {
    if (phase_ == Phase::open) {
      handle_ws_bytes(reinterpret_cast<std::uint8_t*>(handover.leftover.data()),
                      handover.leftover.size());
    } else if (phase_ == Phase::http) {
      handle_http_bytes(reinterpret_cast<const std::uint8_t*>(handover.leftover.data()),
                        handover.leftover.size());
    }
  }
  if (phase_ != Phase::finished) on_readable();  // what arrived while the socket moved
}

void Connection::handle_ws_bytes(std::uint8_t* data, std::size_t size) {
  worker_.counters().bytes_in_total.add(size);
  if (phase_ == Phase::failing) return;  // after a protocol error the stream is not parsed
  const ws::ReadError error = reader_.feed(data, size, *this);
  if (error) fail(error.code, error.reason);
}

void Connection::on_message(ws::Opcode op, std::string_view payload) {
  if (phase_ != Phase::open) return;  // data after our close frame is discarded (RFC 6455 §5.5.1)
  worker_.counters().messages_in_total.add();
  endpoint_->on_message(*this, op, payload);
}

void Connection::on_ping(std::string_view payload) {
  if (phase_ != Phase::open) return;
  enqueue(ws::build_frame(ws::Opcode::pong, payload), true);
}

void Connection::on_pong(std::string_view /*payload*/) {
  // last_read_ was refreshed by the read itself; nothing else to do.
}

void Connection::on_close(std::uint16_t code, std::string_view /*reason*/) {
  close_received_ = true;
  if (!close_sent_) {
    // Echo the peer's code (an empty body for an empty close), then close TCP first, as the
    // server should (RFC 6455 §7.1.1).
    const bool empty = code == ws::close_code::kNoStatus;
    enqueue(empty ? ws::build_frame(ws::Opcode::close, {}) : ws::build_close_frame(code, {}),
            true);
    close_sent_ = true;
    if (!empty) worker_.counters().closes.add(code);
    phase_ = Phase::closing;
    notify_endpoint_closed(code);
  }
  shutdown_after_flush_ = true;
  if (queued_bytes_ == 0 && !writing_ && !flush_scheduled_) finish(code);
}

// ---------------------------------------------------------------------------------------
// Closing

void Connection::close(std::uint16_t code, std::string_view reason) {
  if (phase_ != Phase::open) return;
  enqueue(ws::build_close_frame(code, reason), true);
  close_sent_ = true;
  phase_ = Phase::closing;
  worker_.counters().closes.add(code);
  deadline_ = nonzero(worker_.now() + kCloseTimeoutMs);
  notify_endpoint_closed(code);
}

void Connection::fail(std::uint16_t code, std::string_view reason) {
  if (phase_ != Phase::open && phase_ != Phase::closing) return;
  if (!close_sent_) {
    enqueue(ws::build_close_frame(code, reason), true);
    close_sent_ = true;
    worker_.counters().closes.add(code);
  }
  phase_ = Phase::failing;
  shutdown_after_flush_ = true;
  deadline_ = nonzero(worker_.now() + kCloseTimeoutMs);
  notify_endpoint_closed(code);
}

void Connection::abort() { finish(ws::close_code::kAbnormal); }

void Connection::notify_endpoint_closed(std::uint16_t code) {
  if (endpoint_notified_ || endpoint_ == nullptr) return;
  endpoint_notified_ = true;
  endpoint_->on_close(*this, code);
}

void Connection::finish(std::uint16_t code) {
  if (phase_ == Phase::finished) return;
  auto& counters = worker_.counters();
  if (is_http()) {
    counters.http_connections.sub();
  } else {
    counters.ws_connections.sub();
    if (!close_sent_) counters.closes.add(ws::close_code::kAbnormal);
  }
  notify_endpoint_closed(code);
  if (code != ws::close_code::kAbnormal) send_close_notify();
  phase_ = Phase::finished;
  worker_.unwatch(fd_);
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  ::close(fd_);
  fd_ = -1;
  writing_ = false;
  queue_.clear();
  queue_.shrink_to_fit();
  queued_bytes_ = 0;
  std::string().swap(http_buffer_);
  parser_.reset();
  worker_.retire(*this);
}

void Connection::on_sweep(std::uint32_t now) {
  // An idle connection keeps no queue storage (memory per idle connection); a busy one
  // reallocates it at most once per sweep instead of on every flush.
  if (queue_.empty() && queue_.capacity() != 0 && !flush_scheduled_) {
    std::vector<ws::SharedFrame>().swap(queue_);
  }
  const auto& cfg = worker_.config();
  if (over_limit_since_ != 0 && phase_ == Phase::open &&
      now - over_limit_since_ >= static_cast<std::uint32_t>(cfg.outbound_queue_grace.count())) {
    return cut_off_slow_consumer();
  }
  const LivenessConfig liveness{static_cast<std::uint32_t>(cfg.ping_interval.count()),
                                static_cast<std::uint32_t>(cfg.idle_timeout.count())};
  const LivenessTimes times{now, last_read_, last_ping_, deadline_};
  switch (check_liveness(times, liveness, phase_ == Phase::open)) {
    case LivenessAction::none:
      return;
    case LivenessAction::deadline_passed:
      if (phase_ == Phase::http) worker_.counters().handshake(HandshakeResult::timeout);
      return finish(ws::close_code::kAbnormal);
    case LivenessAction::idle_timeout:
      worker_.counters().idle_timeout_total.add();
      return close(ws::close_code::kIdleTimeout, "idle timeout");
    case LivenessAction::send_ping:
      last_ping_ = now;
      enqueue(ws::build_frame(ws::Opcode::ping, {}), true);
      return;
  }
}

// ---------------------------------------------------------------------------------------
// Writing

bool Connection::send(const ws::OutboundMessage& message) {
  return enqueue(message.for_connection(deflate_), false);
}

bool Connection::send_frame(ws::SharedFrame frame) { return enqueue(std::move(frame), false); }

bool Connection::send_text(std::string_view text) {
  if (phase_ != Phase::open) return false;
  return send(ws::build_message(ws::Opcode::text, text, deflate_ ? worker_.deflater() : nullptr,
                                worker_.config().deflate_min_size));
}

bool Connection::send_binary(std::string_view data) {
  if (phase_ != Phase::open) return false;
  return send(ws::build_message(ws::Opcode::binary, data,
                                deflate_ ? worker_.deflater() : nullptr,
                                worker_.config().deflate_min_size));
}

void Connection::send_raw(std::string_view bytes) {
  ws::SharedFrame frame = ws::SharedFrame::allocate(bytes.size());
  std::copy(bytes.begin(), bytes.end(), frame.mutable_data());
  enqueue(std::move(frame), true);
}

void Connection::respond(const http::Response& response, bool keep_alive) {
  keep_alive = keep_alive && !response.close;
  send_raw(http::render(response, keep_alive));
  if (!keep_alive) return close_after_response();
  // The next request, head and body, must arrive within the handshake timeout.
  deadline_ = request_deadline();
}

// RFC 9112 §9.6: after a response that closes the connection nothing more is parsed or
// answered; what the client still sends is read and discarded (counted) while the response
// goes out, then the connection is half-closed and waits a bounded time for the client's FIN,
// so that a client still sending (the rest of a refused body) reads the response instead of
// a reset.
void Connection::close_after_response() {
  phase_ = Phase::http_closing;
  shutdown_after_flush_ = true;
  parser_.reset();
  // Time to take the response; the wait for the FIN after it is bounded separately.
  deadline_ = request_deadline();
}

bool Connection::enqueue(ws::SharedFrame frame, bool control) {
  if (phase_ == Phase::finished || !frame) return false;
  if (!control && phase_ != Phase::open) return false;
  const std::size_t size = frame.size();
  // A runaway queue is cut at once; a message alone always goes (one publication larger than
  // the limit to a connection with nothing queued is no sign of a slow reader).
  if (!control && queued_bytes_ > 0 &&
      queued_bytes_ + size > worker_.config().outbound_queue_hard_limit) {
    cut_off_slow_consumer();
    return false;
  }
  queue_.push_back(std::move(frame));
  queued_bytes_ += size;
  if (!control) worker_.counters().messages_out_total.add();
  if (!flush_scheduled_ && !writing_) worker_.schedule_flush(*this);
  // Waiting for writability: no write comes this turn, what is queued stays.
  if (writing_) note_backlog();
  return true;
}

// The soft limit counts what a write left queued, not what one loop turn queued: a burst to a
// reader that keeps up drains at the next write. Over it, the clock runs; the sweep cuts a
// connection that stays over it for outbound_queue_grace.
void Connection::note_backlog() {
  if (queued_bytes_ <= worker_.config().outbound_queue_limit) {
    over_limit_since_ = 0;
  } else if (over_limit_since_ == 0) {
    over_limit_since_ = nonzero(worker_.now());
  }
}

void Connection::cut_off_slow_consumer() {
  auto& counters = worker_.counters();
  counters.slow_consumer_total.add();
  // Keep a partly written frame (the stream must stay well framed); drop everything behind it.
  const std::size_t keep = queue_head_ + (head_offset_ > 0 ? 1 : 0);
  std::size_t dropped = 0;
  for (std::size_t i = keep; i < queue_.size(); ++i) dropped += queue_[i].size();
  queue_.resize(keep);
  queued_bytes_ -= dropped;
  counters.dropped_bytes_total.add(dropped);
  close(ws::close_code::kSlowConsumer, "slow consumer");
}

void Connection::flush() {
  if (phase_ == Phase::finished || writing_) return;
  while (queue_head_ < queue_.size()) {
    const ssize_t n = ssl_ != nullptr ? write_tls() : write_plain();
    if (n < 0) return finish(ws::close_code::kAbnormal);
    if (n == 0) {
      // The send buffer is full: the next EPOLLOUT edge resumes (on_events).
      writing_ = true;
      note_backlog();
      return;
    }
    worker_.counters().bytes_out_total.add(static_cast<std::size_t>(n));
    auto written = static_cast<std::size_t>(n);
    queued_bytes_ -= written;
    while (written > 0) {
      const std::size_t left = queue_[queue_head_].size() - head_offset_;
      if (written < left) {
        head_offset_ += written;
        break;
      }
      written -= left;
      queue_[queue_head_] = ws::SharedFrame();  // release the reference as soon as sent
      ++queue_head_;
      head_offset_ = 0;
    }
  }
  queue_.clear();  // the capacity stays for the next turn; the sweep frees it once idle
  queue_head_ = 0;
  head_offset_ = 0;
  over_limit_since_ = 0;
  after_write_drained();
}

// One gather write of the queue from its head: bytes written, 0 if the socket would block,
// -1 if it failed.
ssize_t Connection::write_plain() {
  iovec iov[kMaxIov];
  int count = 0;
  for (std::size_t i = queue_head_; i < queue_.size() && count < kMaxIov; ++i, ++count) {
    const std::size_t skip = (i == queue_head_) ? head_offset_ : 0;
    iov[count].iov_base = const_cast<std::uint8_t*>(queue_[i].data() + skip);
    iov[count].iov_len = queue_[i].size() - skip;
  }
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = static_cast<std::size_t>(count);
  for (;;) {
    const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
  }
}

// TLS: the queue from its head, up to one record, gathered into the worker's buffer and
// written as one record. A write that would block is retried later with the same leading
// bytes (rebuilt from the same queue position), as OpenSSL requires.
ssize_t Connection::write_tls() {
  std::uint8_t* out = worker_.tls_write_buffer();
  const std::size_t room = worker_.tls_write_buffer_size();
  std::size_t size = 0;
  for (std::size_t i = queue_head_; i < queue_.size() && size < room; ++i) {
    const std::size_t skip = (i == queue_head_) ? head_offset_ : 0;
    const std::size_t take = std::min(queue_[i].size() - skip, room - size);
    std::memcpy(out + size, queue_[i].data() + skip, take);
    size += take;
  }
  const int n = SSL_write(ssl_, out, static_cast<int>(size));
  if (n > 0) return n;
  switch (SSL_get_error(ssl_, n)) {
    case SSL_ERROR_WANT_WRITE:
      return 0;
    case SSL_ERROR_WANT_READ:  // a post-handshake message must be read first
      tls_write_wants_read_ = true;
      return 0;
    default:
      ERR_clear_error();
      return -1;
  }
}

// TLS: tells the peer no more data follows (best effort: it is small and is sent once the
// queue has drained), so that its TLS library sees a clean end rather than a truncation.
void Connection::send_close_notify() {
  if (ssl_ == nullptr || !SSL_is_init_finished(ssl_)) return;
  if ((SSL_get_shutdown(ssl_) & SSL_SENT_SHUTDOWN) != 0) return;
  if (SSL_shutdown(ssl_) < 0) ERR_clear_error();
}

void Connection::after_write_drained() {
  if (!shutdown_after_flush_) return;
  const bool http = phase_ == Phase::http_closing;
  // The peer has closed already: nothing to wait for.
  if (close_received_ || (http && input_ended_)) return finish(ws::close_code::kNormal);
  // Our close frame or last response is out: half-close and wait (bounded by deadline_) for
  // the peer to close, so that it reads what we sent before any reset.
  send_close_notify();
  ::shutdown(fd_, SHUT_WR);
  shutdown_after_flush_ = false;
  // An HTTP connection's deadline was for taking the response; the wait starts now.
  if (deadline_ == 0 || http) deadline_ = nonzero(worker_.now() + kCloseTimeoutMs);
}

}  // namespace switchboard::net
