#include "switchboard/net/broadcast_endpoint.hpp"

#include <memory>
#include <vector>

#include "switchboard/net/connection.hpp"
#include "switchboard/net/server.hpp"
#include "switchboard/net/worker.hpp"

namespace switchboard::net {
namespace {

class BroadcastEndpoint;

constexpr std::size_t kPrefetchDistance = 4;

// The per-worker endpoints of one path, indexed by worker. Filled while the server is being
// configured (before any thread runs), read-only afterwards.
struct BroadcastGroup {
  std::vector<BroadcastEndpoint*> members;
};

class BroadcastEndpoint final : public Endpoint {
 public:
  BroadcastEndpoint(Worker& worker, std::shared_ptr<BroadcastGroup> group)
      : worker_(worker), group_(std::move(group)) {
    if (group_->members.size() <= worker.index()) group_->members.resize(worker.index() + 1);
    group_->members[worker.index()] = this;
  }

  void on_open(Connection& connection) override {
    connection.endpoint_slot = static_cast<std::uint32_t>(members_.size());
    members_.push_back(&connection);
  }

  void on_close(Connection& connection, std::uint16_t) override {
    const std::uint32_t slot = connection.endpoint_slot;
    if (delivering_) {
      // A send inside deliver() closed this connection: leave a hole, compact afterwards.
      members_[slot] = nullptr;
      has_holes_ = true;
      return;
    }
    remove_slot(slot);
  }

  void on_message(Connection&, ws::Opcode op, std::string_view payload) override {
    // Framed (and compressed) once, here; every worker and every recipient shares the bytes.
    const auto message = std::make_shared<const ws::OutboundMessage>(ws::build_message(
        op, payload, worker_.deflater(), worker_.config().deflate_min_size));
    for (BroadcastEndpoint* peer : group_->members) {
      if (peer == this) {
        deliver(*message);
      } else {
        peer->worker_.post([peer, message] { peer->deliver(*message); });
      }
    }
  }

 private:
  void deliver(const ws::OutboundMessage& shared) {
    worker_.counters().broadcast_total.add();
    delivering_ = true;
    const std::size_t n = members_.size();
    const ws::OutboundMessage message = shared.for_recipients(n);
    for (std::size_t i = 0; i < n; ++i) {
      // Recipients are scattered in memory: fetch a few ahead while this one is queued.
      if (i + kPrefetchDistance < n) __builtin_prefetch(members_[i + kPrefetchDistance]);
      if (members_[i] != nullptr) members_[i]->send(message);
    }
    delivering_ = false;
    if (has_holes_) compact();
  }

  void remove_slot(std::uint32_t slot) {
    Connection* last = members_.back();
    members_[slot] = last;
    if (last != nullptr) last->endpoint_slot = slot;
    members_.pop_back();
  }

  void compact() {
    has_holes_ = false;
    std::size_t out = 0;
    for (Connection* c : members_) {
      if (c == nullptr) continue;
      c->endpoint_slot = static_cast<std::uint32_t>(out);
      members_[out++] = c;
    }
    members_.resize(out);
  }

  Worker& worker_;
  std::shared_ptr<BroadcastGroup> group_;
  std::vector<Connection*> members_;
  bool delivering_ = false;
  bool has_holes_ = false;
};

}  // namespace

EndpointFactory make_broadcast_endpoint(Server& /*server*/) {
  auto group = std::make_shared<BroadcastGroup>();
  return [group](Worker& worker) { return std::make_unique<BroadcastEndpoint>(worker, group); };
}

}  // namespace switchboard::net
