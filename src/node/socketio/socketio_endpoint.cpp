#include "socketio_endpoint.hpp"

#include <algorithm>
#include <charconv>

#include "engine_io_socket.hpp"
#include "session_opening.hpp"
#include "switchboard/http/request.hpp"
#include "switchboard/net/connection.hpp"
#include "switchboard/net/server.hpp"
#include "switchboard/net/worker.hpp"
#include "switchboard/socketio/engine_io.hpp"
#include "switchboard/ws/close_code.hpp"
#include "worker_gateway.hpp"

namespace switchboard::node {
namespace {

// A session id naming the worker it lives on: a random UUID whose last two hex digits are the
// worker's index (up to 256 workers; the other 120 bits stay random).
std::string sid_for_worker(unsigned worker) {
  std::string sid = new_session_id();
  constexpr char kHex[] = "0123456789abcdef";
  sid[sid.size() - 2] = kHex[(worker >> 4) & 0xF];
  sid[sid.size() - 1] = kHex[worker & 0xF];
  return sid;
}

std::optional<unsigned> worker_of_sid(std::string_view sid) {
  if (sid.size() < 2) return std::nullopt;
  unsigned worker = 0;
  const char* first = sid.data() + sid.size() - 2;
  const auto [end, ec] = std::from_chars(first, first + 2, worker, 16);
  if (ec != std::errc() || end != first + 2) return std::nullopt;
  return worker;
}

bool origin_allowed(const config::Config& cfg, std::string_view origin) {
  return cfg.allowed_origins.empty() ||
         std::find(cfg.allowed_origins.begin(), cfg.allowed_origins.end(), origin) !=
             cfg.allowed_origins.end();
}

// CORS for long-polling from pages of the allowed origins (the reference's cors options with
// credentials): the origin echoed when allowed; a page of another origin cannot read answers.
void add_cors(http::Response& response, const config::Config& cfg, std::string_view origin) {
  if (origin.empty()) return;
  if (origin_allowed(cfg, origin)) {
    response.headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
    response.headers.emplace_back("Vary", "Origin");
  }
  response.headers.emplace_back("Access-Control-Allow-Credentials", "true");
}

}  // namespace

SocketIoEndpoint::SocketIoEndpoint(WorkerGateway& gateway) : gateway_(gateway) {
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

EngineIoSocket* SocketIoEndpoint::find(std::string_view sid) noexcept {
  auto it = by_sid_.find(sid);
  return it == by_sid_.end() ? nullptr : it->second;
}

void SocketIoEndpoint::add(std::shared_ptr<EngineIoSocket> socket) {
  socket->endpoint_index = sockets_.size();
  by_sid_.emplace(socket->sid(), socket.get());
  sockets_.push_back(std::move(socket));
}

void SocketIoEndpoint::ended(EngineIoSocket& socket) {
  gateway_.node().ip_disconnected(socket.remote_address());
}

void SocketIoEndpoint::forget(EngineIoSocket& socket) {
  const std::size_t index = socket.endpoint_index;
  if (index >= sockets_.size() || sockets_[index].get() != &socket) return;  // forgotten already
  by_sid_.erase(socket.sid());
  std::shared_ptr<EngineIoSocket> removed = std::move(sockets_[index]);
  if (index != sockets_.size() - 1) {
    sockets_[index] = std::move(sockets_.back());
    sockets_[index]->endpoint_index = index;
  }
  sockets_.pop_back();
  // Possibly inside the socket's own call stack: freed on a later loop turn.
  gateway_.worker().post([removed = std::move(removed)] {});
}

// ---------------------------------------------------------------------------------------
// Long-polling

bool SocketIoEndpoint::on_request(const http::Request& request, net::Connection& connection,
                                  const std::function<void(http::Response)>& respond) {
  const auto& cfg = gateway_.node().config();
  const std::string origin(request.header("Origin"));
  // Every answer carries the CORS headers, whichever worker gives it.
  http::Respond answer = [respond, &cfg, origin](http::Response response) {
    add_cors(response, cfg, origin);
    respond(std::move(response));
  };
  if (request.method == "OPTIONS") {
    http::Response preflight{.status = 204, .content_type = "text/plain"};
    preflight.headers.emplace_back("Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE");
    if (auto asked = request.header("Access-Control-Request-Headers"); !asked.empty()) {
      preflight.headers.emplace_back("Access-Control-Allow-Headers", std::string(asked));
    }
    answer(std::move(preflight));
    return true;
  }
  if (request.query_param("EIO").value_or("") != "4") {
    answer(eio_refusal(socketio::EioError::unsupported_protocol_version));
    return true;
  }
  if (request.query_param("transport").value_or("") != "polling") {
    answer(eio_refusal(socketio::EioError::transport_unknown));
    return true;
  }
  const auto sid = request.query_param("sid");
  if (!sid) {
    if (request.method != "GET") {
      answer(eio_refusal(socketio::EioError::bad_handshake_method));
      return true;
    }
    if (gateway_.worker().draining()) {
      // As a WebSocket upgrade is refused while draining: the client retries, elsewhere.
      auto refusal = http::Response::error(503, "draining", "server is restarting");
      refusal.headers.emplace_back("Retry-After", "5");
      answer(std::move(refusal));
      return true;
    }
    std::string ip = connection.remote_address();
    if (auto refusal = gateway_.admit_address(ip)) {
      answer(std::move(*refusal));
      return true;
    }
    auto socket = std::make_shared<EngineIoSocket>(
        *this, nullptr, sid_for_worker(gateway_.worker().index()), std::move(ip),
        upgrade_token(request));
    EngineIoSocket& opened = *socket;
    add(std::move(socket));
    answer(poll_answer(opened.open()));
    return true;
  }
  // The session's own worker serves it (this one, or one the sid names).
  const auto owner = worker_of_sid(*sid);
  net::Server& server = gateway_.node().server();
  if (!owner || *owner >= server.worker_count()) {
    answer(eio_refusal(socketio::EioError::session_id_unknown));
    return true;
  }
  if (*owner == gateway_.worker().index()) {
    serve_poll(request.method, *sid, request.body, answer);
    return true;
  }
  // The endpoints on `socketio_path` are SocketIoEndpoints on every worker, fixed after set-up.
  auto* there = static_cast<SocketIoEndpoint*>(
      server.worker(*owner).endpoint(gateway_.node().config().socketio_path));
  server.worker(*owner).post(
      [there, method = request.method, sid = *sid, body = request.body, answer] {
        there->serve_poll(method, sid, body, answer);
      });
  return true;
}

void SocketIoEndpoint::serve_poll(const std::string& method, const std::string& sid,
                                  const std::string& body, const http::Respond& respond) {
  EngineIoSocket* socket = find(sid);
  if (socket == nullptr || !socket->polling()) {
    // Unknown, or moved to a WebSocket (the reference refuses polls after the upgrade too).
    respond(eio_refusal(socket == nullptr ? socketio::EioError::session_id_unknown
                                          : socketio::EioError::bad_request));
    return;
  }
  if (method == "GET") return socket->poll(respond);
  if (method == "POST") return socket->receive(body, respond);
  respond(eio_refusal(socketio::EioError::bad_request));
}

// ---------------------------------------------------------------------------------------
// WebSockets

std::optional<unsigned> SocketIoEndpoint::upgrade_worker(const http::Request& request) {
  const auto sid = request.query_param("sid");
  return sid ? worker_of_sid(*sid) : std::nullopt;
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
  if (const auto sid = request.query_param("sid")) {
    // The upgrade of a long-polling session (which lives on this worker: upgrade_worker).
    EngineIoSocket* socket = find(*sid);
    if (socket == nullptr) return eio_refusal(socketio::EioError::session_id_unknown);
    if (!socket->may_upgrade()) return eio_refusal(socketio::EioError::bad_request);
    upgrading_ = socket;
    return std::nullopt;
  }
  upgrade_ip_ = connection.remote_address();
  if (auto refusal = gateway_.admit_address(upgrade_ip_)) return refusal;
  upgrade_token_ = upgrade_token(request);
  return std::nullopt;
}

void SocketIoEndpoint::on_open(net::Connection& connection) {
  if (EngineIoSocket* socket = std::exchange(upgrading_, nullptr)) {
    connection.endpoint_data = socket;
    socket->begin_upgrade(connection);
    return;
  }
  auto socket = std::make_shared<EngineIoSocket>(
      *this, &connection, sid_for_worker(gateway_.worker().index()), std::move(upgrade_ip_),
      std::exchange(upgrade_token_, {}));
  connection.endpoint_data = socket.get();
  EngineIoSocket& opened = *socket;
  add(std::move(socket));
  connection.send_text(opened.open());
}

void SocketIoEndpoint::on_message(net::Connection& connection, ws::Opcode op,
                                  std::string_view payload) {
  auto* socket = static_cast<EngineIoSocket*>(connection.endpoint_data);
  if (socket == nullptr) return;
  if (op == ws::Opcode::text) {
    socket->on_text(connection, payload);
  } else {
    socket->on_binary(connection, payload);
  }
}

void SocketIoEndpoint::on_close(net::Connection& connection, std::uint16_t code) {
  auto* socket = static_cast<EngineIoSocket*>(connection.endpoint_data);
  if (socket == nullptr) return;
  connection.endpoint_data = nullptr;
  const bool polling = socket->polling();  // a probe closing leaves a polling session
  socket->on_closed(connection, code);
  if (!polling) forget(*socket);
}

void SocketIoEndpoint::on_sweep(std::uint32_t now) {
  // The worker's drain closes WebSocket connections itself; a long-polling session has none
  // open between its requests, so it ends here: its held (or next) GET gets the close packet
  // and socket.io-client reconnects, as after a WebSocket's 1012.
  const bool draining = gateway_.worker().draining();
  // Backwards: a sweep may end sockets, which swap-removes them.
  for (std::size_t i = sockets_.size(); i-- > 0;) {
    if (i >= sockets_.size()) continue;
    EngineIoSocket& socket = *sockets_[i];
    if (draining && socket.polling() && !socket.ended()) {
      socket.end(ws::close_code::kServiceRestart, "server restart");
    } else {
      socket.on_sweep(now);
    }
  }
}

}  // namespace switchboard::node
