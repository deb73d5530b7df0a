#pragma once
// One Engine.IO v4 connection (docs/socketio.md) on a WebSocket: its heartbeat, its binary
// attachments, and the Socket.IO namespaces connected over it — each namespace a Session of
// its own (NamespaceSession), authenticated by its CONNECT, on the worker's hub like any
// native session. Used on its worker's thread only.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../session.hpp"
#include "socketio_protocol.hpp"
#include "switchboard/socketio/binary_attachments.hpp"

namespace switchboard::net {
class Connection;
}

namespace switchboard::node {

class EngineIoSocket;
class SocketIoEndpoint;

// A namespace session's transport: its Engine.IO connection.
class NamespaceTransport final : public SessionTransport {
 public:
  NamespaceTransport(EngineIoSocket& socket, const std::string& nsp) noexcept
      : socket_(socket), nsp_(nsp) {}
  void send_text(std::string_view packets) override;
  void send(const ws::OutboundMessage& message) override;
  ws::SharedFrame frame_of(const ws::OutboundMessage& message) const override;
  void send_frame(const ws::SharedFrame& frame) override;
  void close(std::uint16_t code, std::string_view reason) override;
  // Socket.IO frames are not the native ones the hub's fast path sends.
  net::Connection* direct_connection() noexcept override { return nullptr; }

 private:
  EngineIoSocket& socket_;
  const std::string& nsp_;
};

// The protocol and the transport are bases constructed before the Session that refers to them.
struct NamespaceParts {
  NamespaceParts(EngineIoSocket& socket, SocketIoFrames& frames, const std::string& session_id)
      : protocol(frames, session_id), transport(socket, frames.nsp()) {}
  SocketIoProtocol protocol;
  NamespaceTransport transport;
};

class NamespaceSession final : private NamespaceParts, public Session {
 public:
  NamespaceSession(GatewayEndpoint& gateway, EngineIoSocket& socket, SocketIoFrames& frames,
                   std::string session_id, std::string remote_address);
  const SocketIoProtocol& socketio() const noexcept { return protocol; }
};

class EngineIoSocket {
 public:
  EngineIoSocket(SocketIoEndpoint& endpoint, net::Connection& connection, std::string sid,
                 std::string remote_address, std::string handshake_token);
  ~EngineIoSocket();

  const std::string& remote_address() const noexcept { return remote_address_; }
  std::size_t endpoint_index = 0;  // position in the endpoint's list

  void open();  // the open packet, and the heartbeat starts
  void on_text(std::string_view text);
  void on_binary(std::string_view bytes);
  void on_closed(std::uint16_t code);  // the connection is gone: every namespace ends
  void on_sweep(std::uint32_t now);

  // --- For namespace sessions -----------------------------------------------------------
  // Engine.IO packets joined by the record separator (SocketIoProtocol's output).
  void send_packets(std::string_view packets);
  void send(const ws::OutboundMessage& message);
  ws::SharedFrame frame_of(const ws::OutboundMessage& message) const;
  void send_frame(const ws::SharedFrame& frame);
  // The session of `nsp` ends with `code` (its own close): the client is told unless it
  // left or was never connected, and the connection closes when it was the last namespace.
  void end_namespace(std::string_view nsp, std::uint16_t code, std::string_view reason);

 private:
  void on_socketio(std::string_view packet);
  // A complete Socket.IO packet (binary ones assembled) for its namespace.
  void dispatch(const socketio::SioPacket& packet, std::string_view text);
  void connect_namespace(std::string_view nsp, std::string_view auth_json);
  // A protocol error: the connection closes (as the reference server does on a parse error).
  void fail(std::string_view reason);
  NamespaceSession* find(std::string_view nsp) noexcept;

  SocketIoEndpoint& endpoint_;
  net::Connection& connection_;
  std::string sid_;
  std::string remote_address_;
  std::string handshake_token_;
  std::vector<std::shared_ptr<NamespaceSession>> namespaces_;
  socketio::BinaryAssembler attachments_;
  std::uint32_t next_ping_ = 0;
  std::uint32_t pong_deadline_ = 0;   // 0: no ping unanswered
  std::uint32_t alone_deadline_ = 0;  // no namespace connected: closed then (0: one is)
  bool closed_ = false;
};

}  // namespace switchboard::node
