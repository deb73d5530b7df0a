#include "native_endpoint.hpp"

#include "native_protocol.hpp"
#include "session.hpp"
#include "session_opening.hpp"
#include "switchboard/http/request.hpp"
#include "switchboard/net/connection.hpp"
#include "switchboard/net/worker.hpp"
#include "websocket_transport.hpp"
#include "worker_gateway.hpp"

namespace switchboard::node {
namespace {

// A native client's session: the native protocol on its own WebSocket. The transport is a
// base constructed before the Session that refers to it (and destroyed after it).
struct WebSocketTransportHolder {
  explicit WebSocketTransportHolder(net::Connection& connection) : transport(connection) {}
  WebSocketTransport transport;
};

class NativeSession final : private WebSocketTransportHolder, public Session {
 public:
  NativeSession(WorkerGateway& gateway, net::Connection& connection, std::string session_id,
                std::string remote_address)
      : WebSocketTransportHolder(connection),
        Session(gateway, transport, NativeProtocol::instance(), std::move(session_id),
                std::move(remote_address)) {}
};

}  // namespace

std::optional<http::Response> NativeEndpoint::on_upgrade(const http::Request& request,
                                                         net::Connection& connection) {
  upgrade_ip_ = connection.remote_address();
  if (auto refusal = gateway_.admit_address(upgrade_ip_)) return refusal;
  upgrade_token_ = upgrade_token(request);
  upgrade_headers_ = forwarded_headers(request, gateway_.node().config().auth_service_headers);
  // A connection the host authenticated needs no token: its identity came with it.
  upgrade_identity_.reset();
  if (const std::any* context = connection.worker().upgrade_context()) {
    if (const auto* identity = std::any_cast<auth::Identity>(context)) {
      upgrade_identity_ = *identity;
    }
  }
  return std::nullopt;
}

void NativeEndpoint::on_open(net::Connection& connection) {
  std::shared_ptr<Session> session = std::make_shared<NativeSession>(
      gateway_, connection, new_session_id(), std::move(upgrade_ip_));
  connection.endpoint_data = session.get();
  gateway_.add_session(session);
  session->open({.token = std::exchange(upgrade_token_, {}),
                 .identity = std::exchange(upgrade_identity_, {}),
                 .headers = std::exchange(upgrade_headers_, {})});
}

void NativeEndpoint::on_message(net::Connection& connection, ws::Opcode op,
                                std::string_view payload) {
  auto* session = static_cast<Session*>(connection.endpoint_data);
  if (op == ws::Opcode::text) {
    session->on_text(payload);
  } else {
    session->on_binary(payload);
  }
}

void NativeEndpoint::on_close(net::Connection& connection, std::uint16_t code) {
  auto* session = static_cast<Session*>(connection.endpoint_data);
  if (session == nullptr) return;
  connection.endpoint_data = nullptr;
  session->on_closed(code);
  gateway_.node().ip_disconnected(session->info().remote_address);
  gateway_.remove_session(*session);
}

void NativeEndpoint::on_sweep(std::uint32_t now) { gateway_.sweep(now); }

}  // namespace switchboard::node
