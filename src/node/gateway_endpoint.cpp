#include "gateway_endpoint.hpp"

#include <random>

#include "direct_recipient.hpp"
#include "error_codes.hpp"
#include "native_protocol.hpp"
#include "session.hpp"
#include "switchboard/http/request.hpp"
#include "switchboard/net/connection.hpp"
#include "switchboard/net/worker.hpp"
#include "switchboard/protocol/json_writer.hpp"
#include "websocket_transport.hpp"

namespace switchboard::node {

std::string new_session_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::uint64_t hi = (rng() & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;
  const std::uint64_t lo = (rng() & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return buf;
}

std::string upgrade_token(const http::Request& request) {
  std::string_view authorization = request.header("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() > kBearer.size() &&
      authorization.substr(0, kBearer.size()) == kBearer) {
    return std::string(authorization.substr(kBearer.size()));
  }
  if (auto token = request.query_param("token")) return *token;
  if (auto token = request.cookie("token")) return *token;
  return {};
}

namespace {

// A native client's session: the native protocol on its own WebSocket. The transport is a
// base constructed before the Session that refers to it (and destroyed after it).
struct WebSocketTransportHolder {
  explicit WebSocketTransportHolder(net::Connection& connection) : transport(connection) {}
  WebSocketTransport transport;
};

class NativeSession final : private WebSocketTransportHolder, public Session {
 public:
  NativeSession(GatewayEndpoint& endpoint, net::Connection& connection, std::string session_id,
                std::string remote_address)
      : WebSocketTransportHolder(connection),
        Session(endpoint, transport, NativeProtocol::instance(), std::move(session_id),
                std::move(remote_address)) {}
};

}  // namespace

GatewayEndpoint::GatewayEndpoint(Node& node, net::Worker& worker) : node_(node), worker_(worker) {
  node_.register_endpoint(worker.index(), this);
}

GatewayEndpoint::~GatewayEndpoint() = default;

std::optional<http::Response> GatewayEndpoint::on_upgrade(const http::Request& request,
                                                          net::Connection& connection) {
  upgrade_ip_ = connection.remote_address();
  if (auto refusal = admit_address(upgrade_ip_)) return refusal;
  upgrade_token_ = upgrade_token(request);
  return std::nullopt;
}

void GatewayEndpoint::on_open(net::Connection& connection) {
  std::shared_ptr<Session> session = std::make_shared<NativeSession>(
      *this, connection, new_session_id(), std::move(upgrade_ip_));
  connection.endpoint_data = session.get();
  add_session(session);
  session->open(std::exchange(upgrade_token_, {}));
}

std::optional<http::Response> GatewayEndpoint::admit_address(const std::string& ip) {
  if (node_.ip_connected(ip)) return std::nullopt;
  auto response = http::Response::error(429, auth_error_code::kTooManyConnections,
                                        "too many connections from this address");
  response.headers.emplace_back("Retry-After", "10");
  return response;
}

void GatewayEndpoint::add_session(std::shared_ptr<Session> session) {
  session->endpoint_index = sessions_.size();
  sessions_.push_back(std::move(session));
}

void GatewayEndpoint::on_message(net::Connection& connection, ws::Opcode op,
                                 std::string_view payload) {
  auto* session = static_cast<Session*>(connection.endpoint_data);
  if (op == ws::Opcode::text) {
    session->on_text(payload);
  } else {
    session->on_binary(payload);
  }
}

void GatewayEndpoint::on_close(net::Connection& connection, std::uint16_t code) {
  auto* session = static_cast<Session*>(connection.endpoint_data);
  if (session == nullptr) return;
  connection.endpoint_data = nullptr;
  session->on_closed(code);
  node_.ip_disconnected(session->info().remote_address);
  remove_session(*session);
}

void GatewayEndpoint::remove_session(Session& session) {
  const std::size_t index = session.endpoint_index;
  std::shared_ptr<Session> removed = std::move(sessions_[index]);
  if (index != sessions_.size() - 1) {
    sessions_[index] = std::move(sessions_.back());
    sessions_[index]->endpoint_index = index;
  }
  sessions_.pop_back();
  // The close may come from inside the session's own call stack (a violation closing the
  // connection mid-request): it is freed on a later loop turn, never inside its own callback.
  worker_.post([removed = std::move(removed)] {});
}

void GatewayEndpoint::on_sweep(std::uint32_t now) {
  for (auto& [channel, user] : typing_.expire(now)) {
    std::string payload;
    protocol::JsonObject(payload).string("channel", channel).string("user_id", user).close();
    node_.emit(channel, "typing.stop", std::move(payload), user);
  }
  // Index loop: a sweep may close sessions, which removes them from the vector (swap-remove
  // from the back, so walking backwards visits each remaining session once).
  for (std::size_t i = sessions_.size(); i-- > 0;) {
    if (i < sessions_.size()) sessions_[i]->on_sweep(now);
  }
}

void GatewayEndpoint::deliver(const DeliveryPtr& delivery) {
  const std::string& channel = delivery->publication->channel;
  if (channel == kBroadcastChannel) {
    for (std::size_t i = sessions_.size(); i-- > 0;) {
      if (i < sessions_.size() && sessions_[i]->authenticated()) sessions_[i]->deliver(delivery);
    }
    return;
  }
  // Most deliveries need nothing from the session (no acknowledgement, no filtering): those
  // go straight to the connection the hub holds, one object touched per recipient.
  const engine::Publication& p = *delivery->publication;
  const bool plain = !p.requires_ack && !p.skip_publisher;
  hub::Channel* subscribed = hub_.find(channel);
  if (subscribed == nullptr) return;
  // Where this worker's subscribers stand in the stream (offsets arrive in order): where they
  // recover from if the broker loses its subscription. The epoch is copied only when it
  // changes.
  if (p.offset != 0) {
    subscribed->last_offset = p.offset;
    if (subscribed->last_epoch != p.epoch) subscribed->last_epoch = p.epoch;
  }
  const ws::OutboundMessage message = delivery->message.for_recipients(subscribed->slots.size());
  // Socket.IO root-namespace sessions take that namespace's frame, made for the first of them;
  // one with binary attachments (which follow it) goes through the sessions.
  std::optional<ws::OutboundMessage> socketio_message;
  bool socketio_direct = socketio_root_ != nullptr;
  std::uint64_t direct_count = 0;
  hub_.for_each_subscriber(channel, [&](hub::Subscriber& s, const hub::Channel& ch, void* direct) {
    if (plain && direct != nullptr) {
      if (direct_frame(direct) == DirectFrame::native) {
        direct_connection(direct)->send(message);
        ++direct_count;
        return;
      }
      if (socketio_direct && !socketio_message) {
        socketio_direct = socketio_root_->attachments(delivery).empty();
        socketio_message = socketio_root_->publication(delivery);
      }
      if (socketio_direct) {
        direct_connection(direct)->send(*socketio_message);
        ++direct_count;
        return;
      }
    }
    static_cast<Session&>(s).deliver(delivery, &ch);
  });
  counters_.deliveries_total.add(direct_count);
}

void GatewayEndpoint::subscription_restored(const std::string& channel) {
  hub_.for_each_subscriber(channel, [](hub::Subscriber& s, const hub::Channel& ch) {
    static_cast<Session&>(s).subscription_restored(ch);
  });
}

void GatewayEndpoint::disconnect_user(const std::string& user_id, std::uint16_t code,
                                      const std::string& reason) {
  for (std::size_t i = sessions_.size(); i-- > 0;) {
    if (i < sessions_.size() && sessions_[i]->user_id() == user_id) {
      sessions_[i]->close(code, reason);
    }
  }
}

}  // namespace switchboard::node
