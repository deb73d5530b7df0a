#include "engine_io_socket.hpp"

#include <boost/json.hpp>

#include "../close_codes.hpp"
#include "../gateway_endpoint.hpp"
#include "socketio_endpoint.hpp"
#include "switchboard/net/connection.hpp"
#include "switchboard/net/worker.hpp"
#include "switchboard/protocol/json_check.hpp"
#include "switchboard/socketio/engine_io.hpp"
#include "switchboard/socketio/socket_io.hpp"

namespace switchboard::node {
namespace {

using socketio::EioType;
using socketio::SioType;

// Attachments one binary packet may carry (the reference sets no bound; its maxPayload bounds
// the bytes, as max_message_size does here).
constexpr std::size_t kMaxAttachments = 16;

bool reached(std::uint32_t now, std::uint32_t when) {
  return static_cast<std::int32_t>(now - when) >= 0;
}

std::uint32_t ms(std::chrono::milliseconds d) { return static_cast<std::uint32_t>(d.count()); }

// The token of a CONNECT's auth object ({"token": "..."}), or "".
std::string auth_token(std::string_view auth_json) {
  if (auth_json.empty()) return {};
  boost::json::error_code ec;
  const boost::json::value v = protocol::parse_json(auth_json, ec);
  if (ec || !v.is_object()) return {};
  const auto* token = v.as_object().if_contains("token");
  return token != nullptr && token->is_string() ? std::string(token->as_string()) : std::string();
}

}  // namespace

// ---------------------------------------------------------------------------------------
// NamespaceTransport / NamespaceSession

void NamespaceTransport::send_text(std::string_view packets) { socket_.send_packets(packets); }
void NamespaceTransport::send(const ws::OutboundMessage& message) { socket_.send(message); }
ws::SharedFrame NamespaceTransport::frame_of(const ws::OutboundMessage& message) const {
  return socket_.frame_of(message);
}
void NamespaceTransport::send_frame(const ws::SharedFrame& frame) { socket_.send_frame(frame); }
void NamespaceTransport::close(std::uint16_t code, std::string_view reason) {
  socket_.end_namespace(nsp_, code, reason);
}

NamespaceSession::NamespaceSession(GatewayEndpoint& gateway, EngineIoSocket& socket,
                                   SocketIoFrames& frames, std::string session_id,
                                   std::string remote_address)
    : NamespaceParts(socket, frames, session_id),
      Session(gateway, transport, protocol, std::move(session_id), std::move(remote_address)) {}

// ---------------------------------------------------------------------------------------
// EngineIoSocket

EngineIoSocket::EngineIoSocket(SocketIoEndpoint& endpoint, net::Connection& connection,
                               std::string sid, std::string remote_address,
                               std::string handshake_token)
    : endpoint_(endpoint),
      connection_(connection),
      sid_(std::move(sid)),
      remote_address_(std::move(remote_address)),
      handshake_token_(std::move(handshake_token)),
      attachments_(kMaxAttachments, endpoint.gateway().node().config().max_message_size) {}

EngineIoSocket::~EngineIoSocket() = default;

void EngineIoSocket::open() {
  const auto& cfg = endpoint_.gateway().node().config();
  std::string packet;
  // On a WebSocket a packet is bounded by max_message_size before maxPayload is looked at.
  socketio::append_open_packet(packet, sid_, false, ms(cfg.socketio_ping_interval),
                               ms(cfg.socketio_ping_timeout),
                               std::min(cfg.socketio_max_payload, cfg.max_message_size));
  connection_.send_text(packet);
  const std::uint32_t now = endpoint_.gateway().worker().now();
  next_ping_ = now + ms(cfg.socketio_ping_interval);
  // A connection with no namespace is a client that has not connected or was refused: it
  // gets as long as a native client has to authenticate.
  alone_deadline_ = now + ms(cfg.auth_timeout);
  if (alone_deadline_ == 0) alone_deadline_ = 1;
}

void EngineIoSocket::fail(std::string_view reason) {
  endpoint_.gateway().counters().client_errors_total.add();
  connection_.close(close_code::kPolicyViolation, reason);
}

NamespaceSession* EngineIoSocket::find(std::string_view nsp) noexcept {
  for (auto& s : namespaces_) {
    if (s->socketio().nsp() == nsp) return s.get();
  }
  return nullptr;
}

void EngineIoSocket::on_text(std::string_view text) {
  if (closed_) return;
  const auto packet = socketio::parse_eio_text(text);
  if (!packet) return fail("parse error");
  switch (packet->type) {
    case EioType::message:
      return on_socketio(packet->data);
    case EioType::pong:
      pong_deadline_ = 0;
      next_ping_ = endpoint_.gateway().worker().now() +
                   ms(endpoint_.gateway().node().config().socketio_ping_interval);
      return;
    case EioType::ping: {
      // Only an upgrade's probe ("2probe") is a client ping in v4: it is answered in kind.
      std::string pong(1, static_cast<char>(EioType::pong));
      pong.append(packet->data);
      connection_.send_text(pong);
      return;
    }
    case EioType::close:
      return connection_.close(close_code::kClientLeft, "client closed");
    case EioType::upgrade:
    case EioType::noop:
      return;
    case EioType::open:
      break;
  }
  fail("parse error");
}

void EngineIoSocket::on_socketio(std::string_view text) {
  // While a binary packet collects its attachments only they may come.
  if (attachments_.collecting()) return fail("parse error: text while attachments were due");
  const socketio::SioParse parsed = socketio::parse_sio(text, kMaxAttachments);
  if (!parsed.ok()) return fail("parse error");
  const socketio::SioPacket& packet = parsed.packet;
  if (packet.type == SioType::binary_event || packet.type == SioType::binary_ack) {
    if (attachments_.start(packet) != socketio::BinaryError::none) return fail("parse error");
    return;
  }
  dispatch(packet, text);
}

void EngineIoSocket::on_binary(std::string_view bytes) {
  if (closed_) return;
  if (!attachments_.collecting()) return fail("parse error: an attachment no packet announced");
  if (attachments_.add(bytes) != socketio::BinaryError::none) return fail("parse error");
  if (!attachments_.complete()) return;
  // The packet as a plain event or ack whose attachments are {"$binary": base64} values.
  std::string text;
  const SioType type =
      attachments_.type() == SioType::binary_event ? SioType::event : SioType::ack;
  socketio::append_sio_header(text, type, attachments_.nsp(), attachments_.id());
  text.append(attachments_.assembled_json());
  const socketio::SioParse parsed = socketio::parse_sio(text, 0);
  if (!parsed.ok()) return fail("parse error");
  dispatch(parsed.packet, text);
}

void EngineIoSocket::dispatch(const socketio::SioPacket& packet, std::string_view text) {
  if (packet.type == SioType::connect) return connect_namespace(packet.nsp, packet.data);
  if (packet.type == SioType::connect_error) return fail("parse error");
  // A packet for a namespace not connected is dropped, as the reference drops it.
  if (NamespaceSession* session = find(packet.nsp)) session->on_text(text);
}

void EngineIoSocket::connect_namespace(std::string_view nsp, std::string_view auth_json) {
  if (find(nsp) != nullptr) return;  // connected already: the reference ignores it too
  SocketIoFrames* frames = endpoint_.frames(nsp);
  if (frames == nullptr) {
    std::string refusal(1, static_cast<char>(EioType::message));
    socketio::append_connect_error(refusal, nsp, "Invalid namespace");
    connection_.send_text(refusal);
    return;
  }
  std::string token = auth_token(auth_json);
  if (token.empty()) token = handshake_token_;
  GatewayEndpoint& gateway = endpoint_.gateway();
  auto session = std::make_shared<NamespaceSession>(gateway, *this, *frames, new_session_id(),
                                                    remote_address_);
  namespaces_.push_back(session);
  alone_deadline_ = 0;
  gateway.add_session(session);
  session->open(std::move(token));
}

void EngineIoSocket::end_namespace(std::string_view nsp, std::uint16_t code,
                                   std::string_view reason) {
  auto it = std::find_if(namespaces_.begin(), namespaces_.end(),
                         [&](const auto& s) { return s->socketio().nsp() == nsp; });
  if (it == namespaces_.end()) return;
  std::shared_ptr<NamespaceSession> session = std::move(*it);
  namespaces_.erase(it);
  const bool told = session->socketio().connected() && code != close_code::kClientLeft;
  if (told && !closed_) {
    std::string packet(1, static_cast<char>(EioType::message));
    socketio::append_disconnect(packet, nsp);
    connection_.send_text(packet);
  }
  session->on_closed(code);
  endpoint_.gateway().remove_session(*session);
  if (!namespaces_.empty() || closed_) return;
  if (told) {
    // Disconnected by the server from its last namespace: the connection goes too (as the
    // reference's disconnect(true)); the client does not reconnect after DISCONNECT.
    connection_.close(1000, reason);
    return;
  }
  // Refused or left: the client may CONNECT again (or close) within auth_timeout.
  const auto& cfg = endpoint_.gateway().node().config();
  alone_deadline_ = endpoint_.gateway().worker().now() + ms(cfg.auth_timeout);
  if (alone_deadline_ == 0) alone_deadline_ = 1;
}

void EngineIoSocket::on_closed(std::uint16_t code) {
  if (closed_) return;
  closed_ = true;
  std::vector<std::shared_ptr<NamespaceSession>> ended;
  ended.swap(namespaces_);
  for (auto& session : ended) {
    session->on_closed(code);
    endpoint_.gateway().remove_session(*session);
  }
}

void EngineIoSocket::on_sweep(std::uint32_t now) {
  if (closed_) return;
  const auto& cfg = endpoint_.gateway().node().config();
  if (alone_deadline_ != 0 && reached(now, alone_deadline_)) {
    alone_deadline_ = 0;
    return connection_.close(close_code::kAuthFailed, "no namespace connected");
  }
  if (pong_deadline_ != 0) {
    if (reached(now, pong_deadline_)) connection_.close(1000, "ping timeout");
    return;
  }
  if (!reached(now, next_ping_)) return;
  connection_.send_text(std::string_view("2", 1));
  pong_deadline_ = now + ms(cfg.socketio_ping_timeout);
  if (pong_deadline_ == 0) pong_deadline_ = 1;
}

// ---------------------------------------------------------------------------------------
// Output (WebSocket: one Engine.IO packet per message)

void EngineIoSocket::send_packets(std::string_view packets) {
  if (closed_) return;
  while (!packets.empty()) {
    const std::size_t end = packets.find(socketio::kEioRecordSeparator);
    connection_.send_text(packets.substr(0, end));
    if (end == std::string_view::npos) break;
    packets.remove_prefix(end + 1);
  }
}

void EngineIoSocket::send(const ws::OutboundMessage& message) {
  if (!closed_) connection_.send(message);
}

ws::SharedFrame EngineIoSocket::frame_of(const ws::OutboundMessage& message) const {
  return message.for_connection(connection_.deflate());
}

void EngineIoSocket::send_frame(const ws::SharedFrame& frame) {
  if (!closed_) connection_.send_frame(frame);
}

}  // namespace switchboard::node
