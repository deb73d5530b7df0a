#include "connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cstring>

#include "client_codec.hpp"
#include "payload.hpp"

namespace switchboard::bench {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::size_t kMaxResponseHead = 8192;

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

std::uint32_t next_mask(std::uint64_t& state) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return static_cast<std::uint32_t>(state >> 16);
}

}  // namespace

Connection::Connection(ConnectionContext& context, ConnectionHandler& handler, std::uint32_t id)
    : context_(context),
      handler_(handler),
      socket_(context.io),
      writer_(socket_, [this](const error_code& error) { fail("write: " + error.message()); }),
      mask_state_(0x9E3779B97F4A7C15ULL ^ (std::uint64_t{id} * 0xBF58476D1CE4E5B9ULL)),
      id_(id) {}

Connection::~Connection() = default;

void Connection::start(const asio::ip::address& source) {
  error_code ec;
  socket_.open(context_.server.protocol(), ec);
  if (!ec && !source.is_unspecified()) {
    // Defer the port choice to connect(), so that ports are unique per 4-tuple rather than
    // per source address: more connections fit in the ephemeral range.
    const int one = 1;
    ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    socket_.bind(asio::ip::tcp::endpoint(source, 0), ec);
  }
  if (!ec) socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  if (ec) {
    fail("socket setup: " + ec.message());
    return;
  }
  state_ = State::kConnecting;
  socket_.async_connect(context_.server, [this](const error_code& error) { on_connected(error); });
}

void Connection::on_connected(const error_code& error) {
  if (error) {
    fail("connect: " + error.message());
    return;
  }
  error_code ec;
  socket_.non_blocking(true, ec);
  HandshakeKey key = make_handshake_key(mask_state_ ^ monotonic_ns());
  expected_accept_ = std::move(key.expected_accept);
  writer_.outbox() = build_upgrade_request(context_.host_header, context_.request_target, key.key);
  state_ = State::kHandshake;
  writer_.flush();
  wait_readable();
}

void Connection::wait_readable() {
  socket_.async_wait(asio::socket_base::wait_read,
                     [this](const error_code& error) { on_readable(error); });
}

void Connection::on_readable(const error_code& error) {
  if (state_ == State::kClosed) return;
  if (error) {
    fail("wait: " + error.message());
    return;
  }
  std::vector<char>& scratch = context_.scratch;
  // Drain until the socket would block, so that one wake-up serves everything that has
  // arrived (each wake-up costs a reactor round trip; a read that would block is cheaper).
  for (;;) {
    const std::size_t carried = pending_in_.size();
    if (carried >= scratch.size()) {
      fail("message larger than the read buffer");
      return;
    }
    std::memcpy(scratch.data(), pending_in_.data(), carried);
    error_code ec;
    const std::size_t n =
        socket_.read_some(asio::buffer(scratch.data() + carried, scratch.size() - carried), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) {
      fail(ec == asio::error::eof ? std::string("server closed the connection")
                                  : "read: " + ec.message());
      return;
    }
    const std::size_t total = carried + n;
    const std::size_t used = consume(scratch.data(), total, monotonic_ns());
    if (state_ == State::kClosed) return;
    pending_in_.assign(scratch.data() + used, total - used);
  }
  wait_readable();
}

std::size_t Connection::consume(char* data, std::size_t size, std::uint64_t now_ns) {
  std::size_t offset = 0;
  if (state_ == State::kHandshake) {
    offset = consume_handshake(data, size);
    if (state_ == State::kHandshake || state_ == State::kClosed) return offset;
  }
  while (offset < size) {
    FrameView frame;
    const ParseStatus status =
        parse_server_frame(data + offset, size - offset, context_.max_message_size, frame);
    if (status == ParseStatus::kNeedMore) break;
    if (status == ParseStatus::kError) {
      fail("malformed server frame");
      return offset;
    }
    offset += frame.frame_size;
    if (!handle_frame(frame.fin, static_cast<std::uint8_t>(frame.opcode),
                      {frame.payload, frame.payload_size}, now_ns)) {
      return offset;
    }
  }
  return offset;
}

std::size_t Connection::consume_handshake(const char* data, std::size_t size) {
  const std::string_view bytes(data, size);
  const std::size_t end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (size > kMaxResponseHead) fail("handshake response too large");
    return 0;
  }
  const std::string problem = check_upgrade_response(bytes.substr(0, end + 2), expected_accept_);
  if (!problem.empty()) {
    fail("handshake: " + problem);
    return 0;
  }
  expected_accept_.clear();
  expected_accept_.shrink_to_fit();
  state_ = State::kOpening;
  phase_ = context_.protocol.on_open(*this);
  if (phase_ == Protocol::kReadyPhase) {
    state_ = State::kReady;
    handler_.on_ready(*this);
  }
  return end + 4;
}

// Returns false when the connection is finished.
bool Connection::handle_frame(bool fin, std::uint8_t opcode, std::string_view payload,
                              std::uint64_t now) {
  switch (static_cast<Opcode>(opcode)) {
    case Opcode::kText:
    case Opcode::kBinary:
      if (fin) {
        deliver(payload, now);
      } else {
        fragment_opcode_ = opcode;
        fragments_.assign(payload);
      }
      break;
    case Opcode::kContinuation:
      if (fragment_opcode_ == 0) {
        fail("unexpected continuation frame");
        return false;
      }
      fragments_.append(payload);
      if (fin) {
        fragment_opcode_ = 0;
        std::string message = std::move(fragments_);
        fragments_.clear();
        deliver(message, now);
      }
      break;
    case Opcode::kPing:
      queue_frame(static_cast<std::uint8_t>(Opcode::kPong), payload);
      break;
    case Opcode::kPong:
      break;
    case Opcode::kClose: {
      std::string reason = "server sent close";
      if (payload.size() >= 2) {
        const unsigned code =
            (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
        reason.append(" ").append(std::to_string(code));
        if (payload.size() > 2) reason.append(" ").append(payload.substr(2));
      }
      fail(reason);
      return false;
    }
  }
  return state_ != State::kClosed;
}

void Connection::deliver(std::string_view message, std::uint64_t now_ns) {
  const ProtocolEvent event = context_.protocol.on_message(phase_, message, *this);
  switch (event.kind) {
    case ProtocolEvent::Kind::kNothing:
      break;
    case ProtocolEvent::Kind::kReady:
      state_ = State::kReady;
      handler_.on_ready(*this);
      break;
    case ProtocolEvent::Kind::kPayload:
      if (state_ == State::kReady) handler_.on_payload(*this, event.data, now_ns);
      break;
    case ProtocolEvent::Kind::kFailed:
      fail("protocol: " + std::string(event.data));
      break;
  }
}

void Connection::publish(std::string_view payload) {
  message_.clear();
  context_.protocol.append_publish(message_, payload);
  queue_frame(static_cast<std::uint8_t>(Opcode::kText), message_);
}

void Connection::send_text(std::string_view message) {
  queue_frame(static_cast<std::uint8_t>(Opcode::kText), message);
}

void Connection::queue_frame(std::uint8_t opcode, std::string_view payload) {
  if (state_ == State::kClosed) return;
  append_client_frame(writer_.outbox(), static_cast<Opcode>(opcode), payload,
                      next_mask(mask_state_));
  writer_.schedule();
}

void Connection::fail(std::string_view reason) {
  if (state_ == State::kClosed) return;
  abort();
  handler_.on_closed(*this, reason);
}

void Connection::abort() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  writer_.stop();
  close_abortively(socket_);
  pending_in_ = std::string();
}

}  // namespace switchboard::bench
