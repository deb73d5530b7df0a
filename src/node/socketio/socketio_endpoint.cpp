#include "socketio_endpoint.hpp"

#include "../gateway_endpoint.hpp"
#include "engine_io_socket.hpp"
#include "switchboard/http/request.hpp"
#include "switchboard/net/connection.hpp"
#include "switchboard/net/worker.hpp"
#include "switchboard/socketio/engine_io.hpp"

namespace switchboard::node {
namespace {

http::Response eio_refusal(socketio::EioError error) {
  return http::Response::json(socketio::eio_error_status(error),
                              std::string(socketio::eio_error_body(error)));
}

}  // namespace

SocketIoEndpoint::SocketIoEndpoint(GatewayEndpoint& gateway) : gateway_(gateway) {
  const auto& cfg = gateway.node().config();
  frames_.push_back(std::make_unique<SocketIoFrames>("/", cfg.deflate, cfg.deflate_min_size));
  for (const auto& nsp : cfg.socketio_namespaces) {
    if (nsp != "/") {
      frames_.push_back(std::make_unique<SocketIoFrames>(nsp, cfg.deflate, cfg.deflate_min_size));
    }
  }
}

SocketIoEndpoint::~SocketIoEndpoint() = default;

SocketIoFrames* SocketIoEndpoint::frames(std::string_view nsp) noexcept {
  for (auto& f : frames_) {
    if (f->nsp() == nsp) return f.get();
  }
  return nullptr;
}

std::optional<http::Response> SocketIoEndpoint::on_upgrade(const http::Request& request,
                                                           net::Connection& connection) {
  // Engine.IO's own refusals, as the reference answers them.
  if (request.query_param("EIO").value_or("") != "4") {
    return eio_refusal(socketio::EioError::unsupported_protocol_version);
  }
  if (request.query_param("transport").value_or("") != "websocket") {
    return eio_refusal(socketio::EioError::transport_unknown);
  }
  // An upgrade of a long-polling session: no such session here.
  if (request.query_param("sid")) return eio_refusal(socketio::EioError::session_id_unknown);
  upgrade_ip_ = connection.remote_address();
  if (!gateway_.node().ip_connected(upgrade_ip_)) {
    auto response = http::Response::error(429, "too_many_connections",
                                          "too many connections from this address");
    response.headers.emplace_back("Retry-After", "10");
    return response;
  }
  upgrade_token_ = upgrade_token(request);
  return std::nullopt;
}

void SocketIoEndpoint::on_open(net::Connection& connection) {
  auto socket = std::make_shared<EngineIoSocket>(*this, connection, new_session_id(),
                                                 std::move(upgrade_ip_),
                                                 std::exchange(upgrade_token_, {}));
  socket->endpoint_index = sockets_.size();
  connection.endpoint_data = socket.get();
  sockets_.push_back(socket);
  socket->open();
}

void SocketIoEndpoint::on_message(net::Connection& connection, ws::Opcode op,
                                  std::string_view payload) {
  auto* socket = static_cast<EngineIoSocket*>(connection.endpoint_data);
  if (socket == nullptr) return;
  if (op == ws::Opcode::text) {
    socket->on_text(payload);
  } else {
    socket->on_binary(payload);
  }
}

void SocketIoEndpoint::on_close(net::Connection& connection, std::uint16_t code) {
  auto* socket = static_cast<EngineIoSocket*>(connection.endpoint_data);
  if (socket == nullptr) return;
  connection.endpoint_data = nullptr;
  socket->on_closed(code);
  gateway_.node().ip_disconnected(socket->remote_address());
  const std::size_t index = socket->endpoint_index;
  std::shared_ptr<EngineIoSocket> removed = std::move(sockets_[index]);
  if (index != sockets_.size() - 1) {
    sockets_[index] = std::move(sockets_.back());
    sockets_[index]->endpoint_index = index;
  }
  sockets_.pop_back();
  // Possibly inside the socket's own call stack: freed on a later loop turn.
  gateway_.worker().post([removed = std::move(removed)] {});
}

void SocketIoEndpoint::on_sweep(std::uint32_t now) {
  // Backwards: a sweep may close sockets, which swap-removes them.
  for (std::size_t i = sockets_.size(); i-- > 0;) {
    if (i < sockets_.size()) sockets_[i]->on_sweep(now);
  }
}

}  // namespace switchboard::node
