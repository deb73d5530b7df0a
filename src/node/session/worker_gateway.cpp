#include "worker_gateway.hpp"

#include "direct_recipient.hpp"
#include "error_codes.hpp"
#include "session.hpp"
#include "switchboard/net/connection.hpp"
#include "switchboard/net/server.hpp"
#include "switchboard/net/worker.hpp"
#include "switchboard/protocol/json_writer.hpp"

namespace switchboard::node {

WorkerGateway::WorkerGateway(Node& node, net::Worker& worker) : node_(node), worker_(worker) {
  node_.register_sessions(worker.index(), this);
}

WorkerGateway::~WorkerGateway() = default;

std::optional<http::Response> WorkerGateway::admit_address(const std::string& ip) {
  if (node_.ip_connected(ip)) return std::nullopt;
  auto response = http::Response::error(429, auth_error_code::kTooManyConnections,
                                        "too many connections from this address");
  response.headers.emplace_back("Retry-After", "10");
  return response;
}

void WorkerGateway::add_session(std::shared_ptr<Session> session) {
  session->gateway_index = static_cast<std::uint32_t>(sessions_.size());
  sessions_.push_back(std::move(session));
}

void WorkerGateway::remove_session(Session& session) {
  const std::uint32_t index = session.gateway_index;
  std::shared_ptr<Session> removed = std::move(sessions_[index]);
  if (index != sessions_.size() - 1) {
    sessions_[index] = std::move(sessions_.back());
    sessions_[index]->gateway_index = index;
  }
  sessions_.pop_back();
  // The close may come from inside the session's own call stack (a violation closing the
  // connection mid-request): it is freed on a later loop turn, never inside its own callback.
  worker_.post([removed = std::move(removed)] {});
}

void WorkerGateway::sweep(std::uint32_t now) {
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

void WorkerGateway::deliver(const DeliveryPtr& delivery) {
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

void WorkerGateway::subscription_restored(const std::string& channel) {
  hub_.for_each_subscriber(channel, [](hub::Subscriber& s, const hub::Channel& ch) {
    static_cast<Session&>(s).subscription_restored(ch);
  });
}

void WorkerGateway::disconnect_user(const std::string& user_id, std::uint16_t code,
                                      const std::string& reason) {
  for (std::size_t i = sessions_.size(); i-- > 0;) {
    if (i < sessions_.size() && sessions_[i]->user_id() == user_id) {
      sessions_[i]->close(code, reason);
    }
  }
}

WorkerGateways::WorkerGateways(Node& node, net::Server& server) {
  gateways_.reserve(server.worker_count());
  for (unsigned i = 0; i < server.worker_count(); ++i) {
    gateways_.push_back(std::make_unique<WorkerGateway>(node, server.worker(i)));
  }
}

}  // namespace switchboard::node
