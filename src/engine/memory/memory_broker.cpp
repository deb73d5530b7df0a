// MemoryBroker and its hub: channel → subscribed nodes, sharded by channel hash.
#include "switchboard/engine/memory/memory_broker.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "idempotency_keys.hpp"
#include "string_map.hpp"
#include "switchboard/engine/memory/memory_history.hpp"

namespace switchboard::engine {

using memory_detail::Sharded;
using memory_detail::StringMap;

namespace {

// The nodes subscribed to one channel. Copy-on-write: publish() takes a copy under the shard
// lock and delivers after releasing it, so a subscribe during a delivery never invalidates the
// list being walked, and publish allocates nothing. One node — a single-node deployment, and
// a user's room almost always — is held inline: a channel then costs its map entry and no
// allocation of its own (there is one such channel per connected user).
class NodeList {
 public:
  NodeList() = default;
  explicit NodeList(std::vector<MemoryBroker*> nodes) {
    if (nodes.size() == 1) {
      one_ = nodes.front();
    } else if (!nodes.empty()) {
      many_ = std::make_shared<const std::vector<MemoryBroker*>>(std::move(nodes));
    }
  }
  bool empty() const noexcept { return one_ == nullptr && !many_; }
  std::vector<MemoryBroker*> to_vector() const {
    if (one_ != nullptr) return {one_};
    return many_ ? *many_ : std::vector<MemoryBroker*>{};
  }
  bool contains(const MemoryBroker* node) const noexcept {
    if (one_ != nullptr) return one_ == node;
    return many_ && std::find(many_->begin(), many_->end(), node) != many_->end();
  }
  template <class F>
  void for_each(F&& f) const {
    if (one_ != nullptr) return f(one_);
    if (many_) {
      for (MemoryBroker* node : *many_) f(node);
    }
  }

 private:
  MemoryBroker* one_ = nullptr;
  std::shared_ptr<const std::vector<MemoryBroker*>> many_;
};

void complete(const Completion& done, std::error_code ec = {}) {
  if (done) done(ec);
}

}  // namespace

struct MemoryBrokerHub::Impl {
  explicit Impl(NowFn clock) : history(clock), now(std::move(clock)) {}

  struct Shard {
    mutable std::mutex mu;
    StringMap<NodeList> subscribers;
  };
  Sharded<Shard> channels;
  MemoryHistory history;
  NowFn now;  // the dedupe windows'
  // Append-and-deliver of one channel happens under its stripe (see memory_broker.hpp), and so
  // do the check and the write of its idempotency keys.
  struct PublishStripe {
    std::mutex mu;
    memory_detail::IdempotencyKeys keys;
  };
  std::array<PublishStripe, 64> publish_stripes;
  PublishStripe& stripe_for(std::string_view channel) {
    return publish_stripes[std::hash<std::string_view>{}(channel) % publish_stripes.size()];
  }
  mutable std::mutex nodes_mu;
  StringMap<MemoryBroker*> nodes;

  // Returns the nodes subscribed to `channel` now (possibly none).
  NodeList subscribers_of(std::string_view channel) {
    Shard& shard = channels.for_key(channel);
    std::lock_guard lock(shard.mu);
    const auto it = shard.subscribers.find(channel);
    return it == shard.subscribers.end() ? NodeList{} : it->second;
  }

  // Replaces the channel's node list by `edit(copy of it)`; an empty result removes the channel.
  template <class Edit>
  void edit_subscribers(std::string_view channel, Edit&& edit) {
    Shard& shard = channels.for_key(channel);
    std::lock_guard lock(shard.mu);
    auto it = shard.subscribers.find(channel);
    std::vector<MemoryBroker*> nodes_now;
    if (it != shard.subscribers.end()) nodes_now = it->second.to_vector();
    if (!edit(nodes_now)) return;  // unchanged: keep the shared list
    if (nodes_now.empty()) {
      if (it != shard.subscribers.end()) shard.subscribers.erase(it);
      return;
    }
    NodeList list(std::move(nodes_now));
    if (it == shard.subscribers.end()) {
      shard.subscribers.emplace(std::string(channel), std::move(list));
    } else {
      it->second = std::move(list);
    }
  }

  void forget_node(MemoryBroker* node) {
    for (Shard& shard : channels.all()) {
      std::lock_guard lock(shard.mu);
      for (auto it = shard.subscribers.begin(); it != shard.subscribers.end();) {
        if (!it->second.contains(node)) {
          ++it;
          continue;
        }
        std::vector<MemoryBroker*> rest = it->second.to_vector();
        std::erase(rest, node);
        if (rest.empty()) {
          it = shard.subscribers.erase(it);
        } else {
          it->second = NodeList(std::move(rest));
          ++it;
        }
      }
    }
    std::lock_guard lock(nodes_mu);
    const auto it = std::find_if(nodes.begin(), nodes.end(),
                                 [&](const auto& entry) { return entry.second == node; });
    if (it != nodes.end()) nodes.erase(it);
  }
};

MemoryBrokerHub::MemoryBrokerHub(NowFn now) : impl_(std::make_unique<Impl>(std::move(now))) {}
MemoryBrokerHub::~MemoryBrokerHub() = default;

HistoryStore& MemoryBrokerHub::history() noexcept { return impl_->history; }

std::size_t MemoryBrokerHub::channel_count() const {
  return impl_->channels.total([](const Impl::Shard& s) { return s.subscribers.size(); });
}

MemoryBroker::MemoryBroker() : MemoryBroker(std::make_shared<MemoryBrokerHub>()) {}

MemoryBroker::MemoryBroker(std::shared_ptr<MemoryBrokerHub> hub) : hub_(std::move(hub)) {}

MemoryBroker::~MemoryBroker() {
  if (handler_ != nullptr) hub_->impl_->forget_node(this);
}

void MemoryBroker::start(std::string node_id, BrokerHandler& handler) {
  // Set before the hub can hand `this` to another thread's publish_to_node().
  node_id_ = std::move(node_id);
  handler_ = &handler;
  auto& impl = *hub_->impl_;
  std::lock_guard lock(impl.nodes_mu);
  if (!impl.nodes.emplace(node_id_, this).second) {
    handler_ = nullptr;
    throw std::invalid_argument("memory broker: node id already taken: " + node_id_);
  }
}

void MemoryBroker::subscribe(std::string_view channel, Completion done) {
  if (handler_ == nullptr) return complete(done, EngineErrc::not_started);
  hub_->impl_->edit_subscribers(channel, [this](std::vector<MemoryBroker*>& nodes) {
    if (std::find(nodes.begin(), nodes.end(), this) != nodes.end()) return false;
    nodes.push_back(this);
    return true;
  });
  complete(done);
}

void MemoryBroker::unsubscribe(std::string_view channel, Completion done) {
  if (handler_ == nullptr) return complete(done, EngineErrc::not_started);
  hub_->impl_->edit_subscribers(
      channel, [this](std::vector<MemoryBroker*>& nodes) { return std::erase(nodes, this) > 0; });
  complete(done);
}

void MemoryBroker::publish(Publication publication, const HistoryOptions& history,
                           ResultCallback<PublicationPtr> done) {
  auto finish = [&done](std::error_code ec, PublicationPtr p) {
    if (done) done(ec, std::move(p));
  };
  if (handler_ == nullptr) return finish(EngineErrc::not_started, nullptr);
  auto& impl = *hub_->impl_;
  auto deliver = [&impl](const PublicationPtr& p) {
    impl.subscribers_of(p->channel).for_each(
        [&p](MemoryBroker* node) { node->handler_->on_publication(p); });
  };
  // A keyed publish's key is checked and written under the channel's stripe; a duplicate
  // completes (outside the lock) with the first's position.
  const bool keyed = publication.deduplicated();
  std::optional<StreamPosition> first;
  if (history.size == 0) {
    if (keyed) {
      // Nothing can fail after the check: the key is written with it, then delivered unlocked.
      auto& stripe = impl.stripe_for(publication.channel);
      std::lock_guard lock(stripe.mu);
      const TimePoint now = impl.now();
      first = stripe.keys.find(publication, now);
      if (!first) stripe.keys.remember(publication, {publication.offset, publication.epoch}, now);
    }
    if (first) return finish({}, duplicate_of(std::move(publication), std::move(*first)));
    auto p = std::make_shared<const Publication>(std::move(publication));
    deliver(p);
    return finish({}, std::move(p));
  }
  std::error_code ec;
  PublicationPtr stored;
  {
    auto& stripe = impl.stripe_for(publication.channel);
    std::lock_guard lock(stripe.mu);
    const TimePoint now = keyed ? impl.now() : TimePoint{};
    if (keyed) first = stripe.keys.find(publication, now);
    if (!first) {
      // The memory history answers inline, so the append and the deliveries both happen
      // under the stripe.
      impl.history.append(std::move(publication), history,
                          [&](std::error_code e, PublicationPtr p) {
                            ec = e;
                            stored = std::move(p);
                          });
      if (!ec && stored) {
        // Only once stored: a failed append leaves no key behind.
        if (keyed) stripe.keys.remember(*stored, {stored->offset, stored->epoch}, now);
        deliver(stored);
      }
    }
  }
  if (first) return finish({}, duplicate_of(std::move(publication), std::move(*first)));
  finish(ec, std::move(stored));
}

void MemoryBroker::publish_to_node(std::string_view node_id, const PublicationPtr& publication,
                                   Completion done) {
  if (handler_ == nullptr) return complete(done, EngineErrc::not_started);
  auto& impl = *hub_->impl_;
  BrokerHandler* target = nullptr;
  {
    std::lock_guard lock(impl.nodes_mu);
    const auto it = impl.nodes.find(node_id);
    if (it != impl.nodes.end()) target = it->second->handler_;
  }
  if (target == nullptr) return complete(done, EngineErrc::unknown_node);
  target->on_node_message(publication);
  complete(done);
}

}  // namespace switchboard::engine
