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

// A session id naming where it lives: a random UUID (36 characters) whose last group ends with
// its slot on the worker (8 hex digits) and the worker's index (2: up to 256 workers). The
// other 82 bits stay random, and a request's sid must match the slot's socket in full.
constexpr std::size_t kSidSize = EngineIoSocket::kSidSize;
constexpr std::size_t kSlotAt = 26;
constexpr std::size_t kWorkerAt = 34;

void write_hex(std::string& out, std::size_t at, std::size_t digits, std::uint32_t value) {
  constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = digits; i-- > 0; value >>= 4) out[at + i] = kHex[value & 0xF];
}

std::optional<std::uint32_t> read_hex(std::string_view sid, std::size_t at, std::size_t digits) {
  if (sid.size() != kSidSize) return std::nullopt;
  std::uint32_t value = 0;
  const char* first = sid.data() + at;
  const auto [end, ec] = std::from_chars(first, first + digits, value, 16);
  if (ec != std::errc() || end != first + digits) return std::nullopt;
  return value;
}

std::string sid_for(unsigned worker, std::uint32_t slot) {
  std::string sid = new_session_id();
  write_hex(sid, kSlotAt, 8, slot);
  write_hex(sid, kWorkerAt, 2, worker);
  return sid;
}

std::optional<unsigned> worker_of_sid(std::string_view sid) { return read_hex(sid, kWorkerAt, 2); }

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
  root_publications_ = std::make_unique<SocketIoProtocol>(*frames_.front());
  gateway.set_socketio_root(root_publications_.get());
}

SocketIoEndpoint::~SocketIoEndpoint() { gateway_.set_socketio_root(nullptr); }

SocketIoFrames* SocketIoEndpoint::frames(std::string_view nsp) noexcept {
  for (auto& f : frames_) {
    if (f->nsp() == nsp) return f.get();
  }
  return nullptr;
}

EngineIoSocket* SocketIoEndpoint::find(std::string_view sid) noexcept {
  const auto slot = read_hex(sid, kSlotAt, 8);
  if (!slot || *slot >= slots_.size() || slots_[*slot] == nullptr) return nullptr;
  EngineIoSocket* socket = slots_[*slot].get();
  return socket->sid() == sid ? socket : nullptr;  // not another (or a later) socket's
}

EngineIoSocket& SocketIoEndpoint::open_socket(net::Connection* websocket, std::string ip,
                                              const http::Request& handshake) {
  std::uint32_t slot = 0;
  if (free_slots_.empty()) {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  slots_[slot] = std::make_unique<EngineIoSocket>(*this, websocket, slot,
                                                  sid_for(gateway_.worker().index(), slot),
                                                  std::move(ip), upgrade_token(handshake),
                                                  forwarded_headers(
                                                      handshake,
                                                      gateway_.node().config().auth_service_headers));
  return *slots_[slot];
}

void SocketIoEndpoint::ended(EngineIoSocket& socket) {
  gateway_.node().ip_disconnected(socket.remote_address());
}

void SocketIoEndpoint::forget(EngineIoSocket& socket) {
  const std::uint32_t index = socket.slot();
  if (index >= slots_.size() || slots_[index].get() != &socket) return;  // forgotten already
  std::unique_ptr<EngineIoSocket> removed = std::move(slots_[index]);
  free_slots_.push_back(index);
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
    EngineIoSocket& opened = open_socket(nullptr, std::move(ip), request);
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
  upgrade_request_ = &request;
  return std::nullopt;
}

void SocketIoEndpoint::on_open(net::Connection& connection) {
  if (EngineIoSocket* socket = std::exchange(upgrading_, nullptr)) {
    connection.endpoint_data = socket;
    socket->begin_upgrade(connection);
    return;
  }
  // on_upgrade's request: the transport calls on_open right after it, the request still alive.
  EngineIoSocket& opened =
      open_socket(&connection, std::move(upgrade_ip_), *std::exchange(upgrade_request_, nullptr));
  connection.endpoint_data = &opened;
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
  // A sweep may forget sockets, which empties their slots (and never moves another).
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    EngineIoSocket* socket = slots_[i].get();
    if (socket == nullptr) continue;
    if (draining && socket->polling() && !socket->ended()) {
      socket->end(ws::close_code::kServiceRestart, "server restart");
    } else {
      socket->on_sweep(now);
    }
  }
}

}  // namespace switchboard::node
