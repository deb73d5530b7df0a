#pragma once
// One Engine.IO v4 connection (docs/socketio.md): its carrier (HTTP long-polling requests, or a
// WebSocket — from the start, or after an upgrade from polling), its heartbeat, its binary
// attachments, and the Socket.IO namespaces connected over it — each namespace a Session of
// its own (NamespaceSession), authenticated by its CONNECT, on the worker's hub like any
// native session. Used on its worker's thread only.
#include <array>
#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "session.hpp"
#include "switchboard/http/router.hpp"
#include "socketio_protocol.hpp"
#include "switchboard/socketio/binary_attachments.hpp"
#include "switchboard/socketio/engine_io.hpp"

namespace switchboard::net {
class Connection;
}

namespace switchboard::node {

class EngineIoSocket;
class SocketIoEndpoint;

// A long-polling answer: Engine.IO packets as text (the reference's content type and caching).
http::Response poll_answer(std::string body);
// Engine.IO's refusal of a request, as the reference answers it (400 {"code","message"}).
http::Response eio_refusal(socketio::EioError error);

// A namespace session's transport: its Engine.IO connection.
class NamespaceTransport final : public SessionTransport {
 public:
  NamespaceTransport(EngineIoSocket& socket, const std::string& nsp) noexcept
      : socket_(socket), nsp_(nsp) {}
  void send_text(std::string_view packets) override;
  void send(const ws::OutboundMessage& message) override;
  ws::SharedFrame frame_of(const ws::OutboundMessage& message) const override;
  void send_frame(const ws::SharedFrame& frame) override;
  void send_attachment(const ws::SharedFrame& frame) override;
  void close(std::uint16_t code, std::string_view reason) override;
  // On a WebSocket, the root namespace's sessions take the worker's frame of that namespace
  // (SocketIoEndpoint gives it to the gateway's fast path); other namespaces, and long-polling
  // sessions (what they subscribed before an upgrade too), go through the session.
  void* direct_target() noexcept override;

 private:
  EngineIoSocket& socket_;
  const std::string& nsp_;
};

// The protocol and the transport are bases constructed before the Session that refers to them.
struct NamespaceParts {
  NamespaceParts(EngineIoSocket& socket, SocketIoFrames& frames)
      : protocol(frames), transport(socket, frames.nsp()) {}
  SocketIoProtocol protocol;
  NamespaceTransport transport;
};

class NamespaceSession final : private NamespaceParts, public Session {
 public:
  NamespaceSession(WorkerGateway& gateway, EngineIoSocket& socket, SocketIoFrames& frames,
                   std::string session_id, std::string remote_address);
  const SocketIoProtocol& socketio() const noexcept { return protocol; }
};

class EngineIoSocket {
 public:
  // A sid is a UUID's text (SocketIoEndpoint names the socket's slot and worker in it), held
  // inline: as a std::string it would be an allocation of its own.
  static constexpr std::size_t kSidSize = 36;

  // `websocket`: the connection it lives on; nullptr: long-polling. `slot`: where the endpoint
  // holds it (which `sid` names).
  EngineIoSocket(SocketIoEndpoint& endpoint, net::Connection* websocket, std::uint32_t slot,
                 std::string_view sid, std::string remote_address, std::string handshake_token,
                 std::shared_ptr<const ForwardedHeaders> handshake_headers);
  ~EngineIoSocket();

  std::string_view sid() const noexcept { return {sid_.data(), sid_.size()}; }
  const std::string& remote_address() const noexcept { return remote_address_; }
  bool polling() const noexcept { return websocket_ == nullptr; }
  net::Connection* websocket() const noexcept { return websocket_; }
  bool ended() const noexcept { return closed_; }
  // The server ends the connection: its namespaces leave with `code`, and the client gets the
  // close packet (long-polling) or a close frame (WebSocket).
  void end(std::uint16_t code, std::string_view reason) { close_carrier(code, reason); }
  std::uint32_t slot() const noexcept { return slot_; }

  // The open packet (a WebSocket's first message; a polling handshake's answer), and the
  // heartbeat starts.
  std::string open();
  // WebSocket messages, from the socket's connection or from an upgrade's probe.
  void on_text(net::Connection& connection, std::string_view text);
  void on_binary(net::Connection& connection, std::string_view bytes);
  // A connection is gone: the socket's own (every namespace ends), or a probe (the upgrade
  // failed: polling goes on).
  void on_closed(net::Connection& connection, std::uint16_t code);
  void on_sweep(std::uint32_t now);

  // --- Long-polling ---------------------------------------------------------------------
  // A GET: answered with what is queued, or held until something is (a ping at the latest).
  void poll(http::Respond respond);
  // A POST's body: its packets, in order; answered "ok", or refused (the session then ends).
  void receive(std::string_view body, http::Respond respond);
  // A WebSocket upgrade of this session may begin on `probe` (not while one is under way).
  bool may_upgrade() const noexcept { return polling() && probe() == nullptr && !closed_; }
  void begin_upgrade(net::Connection& probe);

  // --- For namespace sessions -----------------------------------------------------------
  // Engine.IO packets joined by the record separator (SocketIoProtocol's output).
  void send_packets(std::string_view packets);
  void send(const ws::OutboundMessage& message);
  ws::SharedFrame frame_of(const ws::OutboundMessage& message) const;
  void send_frame(const ws::SharedFrame& frame);
  void send_attachment(const ws::SharedFrame& frame);
  // The session of `nsp` ends with `code` (its own close): the client is told unless it
  // left or was never connected, and the connection closes when it was the last namespace.
  void end_namespace(std::string_view nsp, std::uint16_t code, std::string_view reason);

 private:
  void on_packet(const socketio::EioPacket& packet);
  void on_socketio(std::string_view packet);
  void on_attachment(std::string_view bytes);
  // The probe's messages while an upgrade is under way.
  void on_probe_text(std::string_view text);
  // Ends the carrier: a WebSocket closes with `code`; long-polling answers the close packet.
  void close_carrier(std::uint16_t code, std::string_view reason);
  void end_namespaces(std::uint16_t code);
  // Long-polling: answers the held GET with the queue, if both exist.
  void flush_poll();
  void queue_packet_text(std::string_view packet);
  // A complete Socket.IO packet (binary ones assembled) for its namespace.
  void dispatch(const socketio::SioPacket& packet, std::string_view text);
  void connect_namespace(std::string_view nsp, std::string_view auth_json);
  // A protocol error: the connection closes (as the reference server does on a parse error).
  // A long-polling client that stopped collecting what it is sent (see send_packets).
  void cut_off_slow_poller();
  void fail(std::string_view reason);
  NamespaceSession* find(std::string_view nsp) noexcept;
  net::Connection* probe() const noexcept { return polling_ ? polling_->probe : nullptr; }

  // What only a long-polling session needs: a WebSocket session (most of them, each idle for
  // most of its life) holds none of it, and an upgraded one lets it go.
  struct Polling {
    // Packets waiting for a GET (joined by the record separator), and the GET waiting for
    // packets.
    std::string outbox;
    http::Respond waiting_get;
    net::Connection* probe = nullptr;  // an upgrade's WebSocket, until the client's upgrade packet
    std::uint32_t forget_at = 0;       // an ended session waits for its last GET until then
    // Since when the outbox, with no GET to take it, has been over outbound_queue_limit (worker
    // ms, never 0 while running; 0: it is not): past outbound_queue_grace the sweep cuts the
    // client, as a WebSocket reader that stopped draining is cut.
    std::uint32_t over_limit_since = 0;
  };
  SocketIoEndpoint& endpoint_;
  net::Connection* websocket_;  // null while long-polling
  std::unique_ptr<Polling> polling_;  // null on a WebSocket
  std::string remote_address_;
  // The upgrade request's token, for a CONNECT without one; null when it had none.
  std::unique_ptr<const std::string> handshake_token_;
  std::shared_ptr<const ForwardedHeaders> handshake_headers_;  // for the auth call-out
  // Connected namespaces: nearly always one, held inline.
  using Namespaces = boost::container::small_vector<std::shared_ptr<NamespaceSession>, 1>;
  Namespaces namespaces_;
  // Made when a binary packet begins, dropped once it is complete or refused (and with it the
  // attachments' bytes): non-null exactly while attachments are due.
  std::unique_ptr<socketio::BinaryAssembler> attachments_;
  std::array<char, kSidSize> sid_{};
  const std::uint32_t slot_;
  std::uint32_t next_ping_ = 0;
  std::uint32_t pong_deadline_ = 0;   // 0: no ping unanswered
  std::uint32_t alone_deadline_ = 0;  // no namespace connected: closed then (0: one is)
  bool closed_ = false;
};

}  // namespace switchboard::node
