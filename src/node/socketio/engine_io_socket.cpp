#include "engine_io_socket.hpp"

#include <boost/json.hpp>

#include "close_codes.hpp"
#include "direct_recipient.hpp"
#include "session_opening.hpp"
#include "socketio_endpoint.hpp"
#include "switchboard/net/connection.hpp"
#include "switchboard/net/worker.hpp"
#include "switchboard/protocol/json_check.hpp"
#include "switchboard/socketio/engine_io.hpp"
#include "switchboard/socketio/socket_io.hpp"
#include "switchboard/ws/close_code.hpp"
#include "worker_gateway.hpp"

namespace switchboard::node {
namespace {

using socketio::EioType;
using socketio::SioType;

// Attachments one binary packet may carry (the reference sets no bound; its maxPayload bounds
// the bytes, as max_message_size does here).
constexpr std::size_t kMaxAttachments = 16;
// Packets one long-polling POST may carry.
constexpr std::size_t kMaxPacketsPerPost = 256;

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

http::Response poll_answer(std::string body) {
  http::Response response{.status = 200, .content_type = "text/plain; charset=UTF-8",
                          .body = std::move(body)};
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

http::Response eio_refusal(socketio::EioError error) {
  return http::Response::json(socketio::eio_error_status(error),
                              std::string(socketio::eio_error_body(error)));
}

// ---------------------------------------------------------------------------------------
// NamespaceTransport / NamespaceSession

void NamespaceTransport::send_text(std::string_view packets) { socket_.send_packets(packets); }
void NamespaceTransport::send(const ws::OutboundMessage& message) { socket_.send(message); }
ws::SharedFrame NamespaceTransport::frame_of(const ws::OutboundMessage& message) const {
  return socket_.frame_of(message);
}
void NamespaceTransport::send_frame(const ws::SharedFrame& frame) { socket_.send_frame(frame); }
void NamespaceTransport::send_attachment(const ws::SharedFrame& frame) {
  socket_.send_attachment(frame);
}
void NamespaceTransport::close(std::uint16_t code, std::string_view reason) {
  socket_.end_namespace(nsp_, code, reason);
}
void* NamespaceTransport::direct_target() noexcept {
  return nsp_ == "/" ? direct_recipient(socket_.websocket(), DirectFrame::socketio_root) : nullptr;
}

NamespaceSession::NamespaceSession(WorkerGateway& gateway, EngineIoSocket& socket,
                                   SocketIoFrames& frames, std::string session_id,
                                   std::string remote_address)
    : NamespaceParts(socket, frames),
      Session(gateway, transport, protocol, std::move(session_id), std::move(remote_address)) {}

// ---------------------------------------------------------------------------------------
// EngineIoSocket

EngineIoSocket::EngineIoSocket(SocketIoEndpoint& endpoint, net::Connection* websocket,
                               std::uint32_t slot, std::string_view sid,
                               std::string remote_address, std::string handshake_token,
                               std::shared_ptr<const ForwardedHeaders> handshake_headers)
    : endpoint_(endpoint),
      websocket_(websocket),
      polling_(websocket == nullptr ? std::make_unique<Polling>() : nullptr),
      remote_address_(std::move(remote_address)),
      handshake_token_(handshake_token.empty()
                           ? nullptr
                           : std::make_unique<const std::string>(std::move(handshake_token))),
      handshake_headers_(std::move(handshake_headers)),
      slot_(slot) {
  // Every sid is the endpoint's UUID text (kSidSize); a shorter one would be padded with NULs.
  sid.copy(sid_.data(), kSidSize);
}

EngineIoSocket::~EngineIoSocket() = default;

std::string EngineIoSocket::open() {
  const auto& cfg = endpoint_.gateway().node().config();
  std::string packet;
  // On a WebSocket a packet is bounded by max_message_size before maxPayload is looked at;
  // a polling session is offered the upgrade.
  socketio::append_open_packet(
      packet, sid(), polling(), ms(cfg.socketio_ping_interval), ms(cfg.socketio_ping_timeout),
      polling() ? cfg.socketio_max_payload
                : std::min(cfg.socketio_max_payload, cfg.max_message_size));
  const std::uint32_t now = endpoint_.gateway().worker().now();
  next_ping_ = now + ms(cfg.socketio_ping_interval);
  // A connection with no namespace is a client that has not connected or was refused: it
  // gets as long as a native client has to authenticate.
  alone_deadline_ = now + ms(cfg.auth_timeout);
  if (alone_deadline_ == 0) alone_deadline_ = 1;
  return packet;
}

void EngineIoSocket::fail(std::string_view reason) {
  endpoint_.gateway().counters().client_errors_total.add();
  close_carrier(close_code::kPolicyViolation, reason);
}

NamespaceSession* EngineIoSocket::find(std::string_view nsp) noexcept {
  for (auto& s : namespaces_) {
    if (s->socketio().nsp() == nsp) return s.get();
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------
// Input

void EngineIoSocket::on_text(net::Connection& connection, std::string_view text) {
  if (closed_) return;
  if (&connection == probe()) return on_probe_text(text);
  const auto packet = socketio::parse_eio_text(text);
  if (!packet) return fail("parse error");
  on_packet(*packet);
}

void EngineIoSocket::on_binary(net::Connection& connection, std::string_view bytes) {
  if (closed_) return;
  if (&connection == probe()) return;  // nothing binary belongs to an upgrade
  on_attachment(bytes);
}

void EngineIoSocket::on_packet(const socketio::EioPacket& packet) {
  if (packet.binary) return on_attachment(packet.data);
  switch (packet.type) {
    case EioType::message:
      return on_socketio(packet.data);
    case EioType::pong:
      pong_deadline_ = 0;
      next_ping_ = endpoint_.gateway().worker().now() +
                   ms(endpoint_.gateway().node().config().socketio_ping_interval);
      return;
    case EioType::ping: {
      // v4 clients do not ping (the server does); answered in kind all the same.
      std::string pong(1, static_cast<char>(EioType::pong));
      pong.append(packet.data);
      return send_packets(pong);
    }
    case EioType::close:
      return close_carrier(close_code::kClientLeft, "client closed");
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
  if (attachments_ != nullptr) return fail("parse error: text while attachments were due");
  const socketio::SioParse parsed = socketio::parse_sio(text, kMaxAttachments);
  if (!parsed.ok()) return fail("parse error");
  const socketio::SioPacket& packet = parsed.packet;
  if (packet.type == SioType::binary_event || packet.type == SioType::binary_ack) {
    attachments_ = std::make_unique<socketio::BinaryAssembler>(
        kMaxAttachments, endpoint_.gateway().node().config().max_message_size);
    if (attachments_->start(packet) != socketio::BinaryError::none) {
      attachments_.reset();
      return fail("parse error");
    }
    return;
  }
  dispatch(packet, text);
}

void EngineIoSocket::on_attachment(std::string_view bytes) {
  if (attachments_ == nullptr) return fail("parse error: an attachment no packet announced");
  if (attachments_->add(bytes) != socketio::BinaryError::none) {
    attachments_.reset();
    return fail("parse error");
  }
  if (!attachments_->complete()) return;
  // The packet as a plain event or ack whose attachments are {"$binary": base64} values.
  std::string text;
  socketio::append_sio_header(text, attachments_->type(), attachments_->nsp(),
                              attachments_->id());
  text.append(attachments_->assembled_json());
  attachments_.reset();
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
    return send_packets(refusal);
  }
  std::string token = auth_token(auth_json);
  if (token.empty() && handshake_token_ != nullptr) token = *handshake_token_;
  WorkerGateway& gateway = endpoint_.gateway();
  auto session = std::make_shared<NamespaceSession>(gateway, *this, *frames, new_session_id(),
                                                    remote_address_);
  namespaces_.push_back(session);
  alone_deadline_ = 0;
  gateway.add_session(session);
  session->open({.token = std::move(token), .identity = std::nullopt, .headers = handshake_headers_});
}

// ---------------------------------------------------------------------------------------
// The end of namespaces and of the connection

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
    send_packets(packet);
  }
  session->on_closed(code);
  endpoint_.gateway().remove_session(*session);
  if (!namespaces_.empty() || closed_) return;
  if (told) {
    // Disconnected by the server from its last namespace: the connection goes too (as the
    // reference's disconnect(true)); the client does not reconnect after DISCONNECT.
    return close_carrier(ws::close_code::kNormal, reason);
  }
  // Refused or left: the client may CONNECT again (or close) within auth_timeout.
  const auto& cfg = endpoint_.gateway().node().config();
  alone_deadline_ = endpoint_.gateway().worker().now() + ms(cfg.auth_timeout);
  if (alone_deadline_ == 0) alone_deadline_ = 1;
}

void EngineIoSocket::end_namespaces(std::uint16_t code) {
  Namespaces ended;
  ended.swap(namespaces_);
  for (auto& session : ended) {
    session->on_closed(code);
    endpoint_.gateway().remove_session(*session);
  }
}

void EngineIoSocket::cut_off_slow_poller() {
  // Counted with the WebSocket ones (switchboard_slow_consumer_closes_total); what it had
  // not collected is dropped, and its next GET gets the close packet.
  endpoint_.gateway().worker().counters().slow_consumer_total.add();
  close_carrier(ws::close_code::kSlowConsumer, "slow consumer");
}

void EngineIoSocket::close_carrier(std::uint16_t code, std::string_view reason) {
  if (closed_) return;
  if (websocket_ != nullptr) {
    // Calls back on_closed through the endpoint.
    return websocket_->close(code, reason);
  }
  // Long-polling: the close packet goes with the next (or the held) GET; the endpoint keeps
  // the socket until then (or until the ping timeout, for a client that never comes back).
  closed_ = true;
  polling_->forget_at = endpoint_.gateway().worker().now() +
                        ms(endpoint_.gateway().node().config().socketio_ping_timeout);
  end_namespaces(code);
  polling_->outbox.clear();
  queue_packet_text(std::string_view("1", 1));
  if (polling_->probe != nullptr) polling_->probe->close(ws::close_code::kNormal, "closed");
  flush_poll();
  endpoint_.ended(*this);
}

void EngineIoSocket::on_closed(net::Connection& connection, std::uint16_t code) {
  if (&connection == probe()) {
    polling_->probe = nullptr;  // the upgrade failed: polling goes on
    return;
  }
  if (closed_) return;
  closed_ = true;
  end_namespaces(code);
  endpoint_.ended(*this);
}

void EngineIoSocket::on_sweep(std::uint32_t now) {
  const auto& cfg = endpoint_.gateway().node().config();
  if (closed_) {
    // A polling client that never came back for its close packet.
    if (polling() && reached(now, polling_->forget_at)) endpoint_.forget(*this);
    return;
  }
  if (polling() && polling_->over_limit_since != 0 &&
      now - polling_->over_limit_since >=
          static_cast<std::uint32_t>(cfg.outbound_queue_grace.count())) {
    return cut_off_slow_poller();
  }
  if (alone_deadline_ != 0 && reached(now, alone_deadline_)) {
    alone_deadline_ = 0;
    return close_carrier(close_code::kAuthFailed, "no namespace connected");
  }
  if (pong_deadline_ != 0) {
    if (reached(now, pong_deadline_)) close_carrier(ws::close_code::kNormal, "ping timeout");
    return;
  }
  if (!reached(now, next_ping_)) return;
  send_packets(std::string_view("2", 1));
  pong_deadline_ = now + ms(cfg.socketio_ping_timeout);
  if (pong_deadline_ == 0) pong_deadline_ = 1;
}

// ---------------------------------------------------------------------------------------
// Long-polling and the upgrade

void EngineIoSocket::poll(http::Respond respond) {
  if (closed_) {
    // Ended: this GET collects the close packet, then the session is forgotten.
    std::string& outbox = polling_->outbox;
    polling_->over_limit_since = 0;  // a GET took it all
    respond(poll_answer(outbox.empty() ? std::string("1") : std::exchange(outbox, {})));
    return endpoint_.forget(*this);
  }
  if (polling_->waiting_get) {
    // One GET at a time: a second is a client out of step (the reference ends the session).
    respond(eio_refusal(socketio::EioError::bad_request));
    return close_carrier(ws::close_code::kNormal, "overlapping polls");
  }
  polling_->waiting_get = std::move(respond);
  flush_poll();
}

void EngineIoSocket::receive(std::string_view body, http::Respond respond) {
  const auto& cfg = endpoint_.gateway().node().config();
  if (body.size() > cfg.socketio_max_payload) {
    respond(http::Response{.status = 413, .content_type = "text/html", .body = "payload too large"});
    return close_carrier(ws::close_code::kMessageTooBig, "payload too large");
  }
  std::vector<socketio::EioPacket> packets;
  std::string scratch;
  if (!socketio::split_eio_payload(body, packets, scratch, kMaxPacketsPerPost)) {
    // As the reference: the POST is answered, the session ends.
    respond(http::Response{.status = 200, .content_type = "text/html", .body = "ok"});
    endpoint_.gateway().counters().client_errors_total.add();
    return close_carrier(close_code::kPolicyViolation, "parse error");
  }
  respond(http::Response{.status = 200, .content_type = "text/html", .body = "ok"});
  for (const auto& packet : packets) {
    if (closed_) return;
    on_packet(packet);
  }
}

void EngineIoSocket::begin_upgrade(net::Connection& probe) { polling_->probe = &probe; }

void EngineIoSocket::on_probe_text(std::string_view text) {
  const auto packet = socketio::parse_eio_text(text);
  if (!packet) {
    polling_->probe->close(close_code::kPolicyViolation, "parse error");
    return;
  }
  if (packet->type == EioType::ping && packet->data == "probe") {
    polling_->probe->send_text("3probe");
    // The client's poll cycle ends so that it can move: a noop answers its held GET.
    queue_packet_text(std::string_view("6", 1));
    return flush_poll();
  }
  if (packet->type != EioType::upgrade) return;
  // The client moved: from now on everything goes over the WebSocket, what waited first; the
  // polling state goes.
  const std::unique_ptr<Polling> moved = std::move(polling_);
  websocket_ = moved->probe;
  const std::string waiting = std::move(moved->outbox);
  if (moved->waiting_get) moved->waiting_get(poll_answer("6"));
  // What waited is a polling payload: binary packets in it go as binary messages now.
  std::vector<socketio::EioPacket> packets;
  std::string scratch;
  if (waiting.empty() ||
      !socketio::split_eio_payload(waiting, packets, scratch, waiting.size())) {
    return;
  }
  for (const auto& queued : packets) {
    if (queued.binary) {
      websocket_->send_binary(queued.data);
      continue;
    }
    std::string message(1, static_cast<char>(queued.type));
    message.append(queued.data);
    websocket_->send_text(message);
  }
}

void EngineIoSocket::queue_packet_text(std::string_view packet) {
  std::string& outbox = polling_->outbox;
  if (!outbox.empty()) outbox.push_back(socketio::kEioRecordSeparator);
  outbox.append(packet);
}

void EngineIoSocket::flush_poll() {
  if (!polling_->waiting_get || polling_->outbox.empty()) return;
  auto respond = std::exchange(polling_->waiting_get, nullptr);
  polling_->over_limit_since = 0;  // a GET took it all
  respond(poll_answer(std::exchange(polling_->outbox, {})));
  if (closed_) endpoint_.forget(*this);  // the close packet is collected
}

// ---------------------------------------------------------------------------------------
// Output

void EngineIoSocket::send_packets(std::string_view packets) {
  if (websocket_ == nullptr) {
    if (closed_) return;
    // A client that stopped polling is a slow consumer like any other, by the WebSocket's
    // rules: a runaway outbox is cut at once, a packet alone always waits for the next GET,
    // and what no GET took stays over the soft limit for at most outbound_queue_grace.
    const auto& cfg = endpoint_.gateway().node().config();
    std::string& outbox = polling_->outbox;
    if (!outbox.empty() && outbox.size() + packets.size() > cfg.outbound_queue_hard_limit) {
      return cut_off_slow_poller();
    }
    queue_packet_text(packets);
    flush_poll();
    if (polling_->outbox.size() <= cfg.outbound_queue_limit) {
      polling_->over_limit_since = 0;
    } else if (polling_->over_limit_since == 0) {
      const std::uint32_t now = endpoint_.gateway().worker().now();
      polling_->over_limit_since = now == 0 ? 1 : now;
    }
    return;
  }
  while (!packets.empty()) {
    const std::size_t end = packets.find(socketio::kEioRecordSeparator);
    websocket_->send_text(packets.substr(0, end));
    if (end == std::string_view::npos) break;
    packets.remove_prefix(end + 1);
  }
}

void EngineIoSocket::send(const ws::OutboundMessage& message) {
  if (websocket_ == nullptr) return send_packets(ws::frame_payload(message.plain));
  websocket_->send(message);
}

ws::SharedFrame EngineIoSocket::frame_of(const ws::OutboundMessage& message) const {
  return websocket_ != nullptr ? message.for_connection(websocket_->deflate()) : message.plain;
}

void EngineIoSocket::send_frame(const ws::SharedFrame& frame) {
  if (websocket_ == nullptr) return send_packets(ws::frame_payload(frame));
  websocket_->send_frame(frame);
}

void EngineIoSocket::send_attachment(const ws::SharedFrame& frame) {
  if (websocket_ != nullptr) {
    websocket_->send_frame(frame);
    return;
  }
  // Long-polling carries binary as a 'b' packet of base64.
  if (closed_) return;
  std::string packet;
  socketio::append_eio_payload_binary(packet, ws::frame_payload(frame));
  send_packets(packet);
}

}  // namespace switchboard::node
