#pragma once
// The Socket.IO endpoint on one worker (`socketio_path`): Engine.IO connections on WebSockets
// and on long-polling requests, and the upgrades from the one to the other. Their namespace
// sessions live in the worker's WorkerGateway with every other session, so that channels,
// users and broadcasts reach them alike.
//
// A long-polling session lives on the worker that answered its handshake; its sid names that
// worker, so that its later requests (which may arrive on any worker) are served there and
// its WebSocket upgrade moves there (net::Endpoint::upgrade_worker). Across nodes nothing is
// shared: polling requests need sticky sessions (docs/socketio.md).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "socketio_protocol.hpp"
#include "switchboard/http/router.hpp"
#include "switchboard/net/endpoint.hpp"

namespace switchboard::node {

class EngineIoSocket;
class WorkerGateway;

class SocketIoEndpoint final : public net::Endpoint {
 public:
  explicit SocketIoEndpoint(WorkerGateway& gateway);
  ~SocketIoEndpoint() override;

  std::optional<unsigned> upgrade_worker(const http::Request& request) override;
  bool on_request(const http::Request& request, net::Connection& connection,
                  const std::function<void(http::Response)>& respond) override;
  std::optional<http::Response> on_upgrade(const http::Request& request,
                                           net::Connection& connection) override;
  void on_open(net::Connection& connection) override;
  void on_message(net::Connection& connection, ws::Opcode op, std::string_view payload) override;
  void on_close(net::Connection& connection, std::uint16_t code) override;
  void on_sweep(std::uint32_t now) override;

  WorkerGateway& gateway() noexcept { return gateway_; }
  // The worker's publication frames for `nsp`, or nullptr when it is not a configured namespace.
  SocketIoFrames* frames(std::string_view nsp) noexcept;
  // A socket ended (its sessions are gone): the address it held is free. A WebSocket one is
  // forgotten when its connection goes; a polling one once its close packet was collected.
  void ended(EngineIoSocket& socket);
  void forget(EngineIoSocket& socket);

 private:
  // A long-polling request for the session `sid`, on the worker it lives on.
  void serve_poll(const std::string& method, const std::string& sid, const std::string& body,
                  const http::Respond& respond);
  EngineIoSocket* find(std::string_view sid) noexcept;
  // A new socket in a free slot (`websocket`: its connection; nullptr: long-polling), with
  // the token and forwarded headers of its handshake request.
  EngineIoSocket& open_socket(net::Connection* websocket, std::string ip,
                              const http::Request& handshake);

  WorkerGateway& gateway_;
  std::vector<std::unique_ptr<SocketIoFrames>> frames_;  // "/" first, then the configured ones
  // The root namespace's publications, for the gateway's fast path (set_socketio_root).
  std::unique_ptr<SocketIoProtocol> root_publications_;
  // The sockets by slot (EngineIoSocket::slot), null where free. A sid names its slot, so that
  // finding a socket by sid needs no index beside this one.
  std::vector<std::unique_ptr<EngineIoSocket>> slots_;
  std::vector<std::uint32_t> free_slots_;
  // Carried from on_upgrade to on_open, which the transport calls back to back.
  const http::Request* upgrade_request_ = nullptr;
  std::string upgrade_ip_;
  EngineIoSocket* upgrading_ = nullptr;  // the polling session the upgrade is for
};

}  // namespace switchboard::node
