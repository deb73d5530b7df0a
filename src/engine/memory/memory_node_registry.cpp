// MemoryNodeRegistry: user → (node, expiry) pairs.
#include "switchboard/engine/memory/memory_node_registry.hpp"

#include <algorithm>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "complete_on_exit.hpp"
#include "string_map.hpp"
#include "sweeper.hpp"

namespace switchboard::engine {
namespace {

struct NodeLease {
  std::string node_id;
  TimePoint expires;  // live while now < expires
};

// A user is on a handful of nodes at most: a vector beats a map.
using Leases = std::vector<NodeLease>;

bool prune(Leases& leases, TimePoint at) {
  std::erase_if(leases, [at](const NodeLease& l) { return at >= l.expires; });
  return leases.empty();
}

}  // namespace

struct MemoryNodeRegistry::Impl {
  NowFn now;
  mutable std::mutex mu;
  memory_detail::StringMap<Leases> users;
  memory_detail::Sweeper sweeper;
};

MemoryNodeRegistry::MemoryNodeRegistry(NowFn now) : impl_(std::make_unique<Impl>()) {
  impl_->now = std::move(now);
}

MemoryNodeRegistry::~MemoryNodeRegistry() = default;

void MemoryNodeRegistry::register_user(std::string_view user_id, std::string_view node_id,
                                       std::chrono::milliseconds ttl, Completion done) {
  const memory_detail::CompleteOnExit complete(std::move(done));  // after the lock
  const TimePoint at = impl_->now();
  std::lock_guard lock(impl_->mu);
  Leases& leases = memory_detail::find_or_add(impl_->users, user_id)->second;
  const auto lease = std::find_if(leases.begin(), leases.end(),
                                  [&](const NodeLease& l) { return l.node_id == node_id; });
  if (lease != leases.end()) {
    lease->expires = at + ttl;
  } else {
    leases.push_back({std::string(node_id), at + ttl});
  }
  if (impl_->sweeper.tick()) {
    impl_->sweeper.sweep(impl_->users, [at](Leases& l) { return prune(l, at); });
  }
}

void MemoryNodeRegistry::unregister_user(std::string_view user_id, std::string_view node_id,
                                         Completion done) {
  const memory_detail::CompleteOnExit complete(std::move(done));  // after the lock
  std::lock_guard lock(impl_->mu);
  const auto it = impl_->users.find(user_id);
  if (it == impl_->users.end()) return;
  std::erase_if(it->second, [&](const NodeLease& l) { return l.node_id == node_id; });
  if (it->second.empty()) impl_->users.erase(it);
}

void MemoryNodeRegistry::nodes_of(std::string_view user_id,
                                  ResultCallback<std::vector<std::string>> done) {
  std::vector<std::string> nodes;
  const TimePoint at = impl_->now();
  {
    std::lock_guard lock(impl_->mu);
    const auto it = impl_->users.find(user_id);
    if (it != impl_->users.end()) {
      if (prune(it->second, at)) {
        impl_->users.erase(it);
      } else {
        for (const NodeLease& l : it->second) nodes.push_back(l.node_id);
      }
    }
  }
  if (done) done({}, std::move(nodes));
}

std::size_t MemoryNodeRegistry::user_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->users.size();
}

}  // namespace switchboard::engine
