// MemoryNodeRegistry: user → connection leases (node, connection, expiry).
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

// The node id is interned (Impl::node_ids: a cluster has a handful), so a lease holds a
// pointer to its node's rather than a copy.
struct Lease {
  const std::string* node_id;
  std::string connection_id;
  TimePoint expires;  // live while now < expires
  bool is(const ConnectionLease& lease) const noexcept {
    return *node_id == lease.node_id && connection_id == lease.connection_id;
  }
};

// A user holds a handful of connections (max_connections_per_user): a vector beats a map, and
// each call walks it once.
using Leases = std::vector<Lease>;

bool prune(Leases& leases, TimePoint at) {
  std::erase_if(leases, [at](const Lease& l) { return at >= l.expires; });
  return leases.empty();
}

}  // namespace

struct MemoryNodeRegistry::Impl {
  NowFn now;
  mutable std::mutex mu;
  memory_detail::StringMap<Leases> users;
  memory_detail::InternedStrings node_ids;
  memory_detail::Sweeper sweeper;

  // Under mu: the user's live leases, expired ones dropped (and the user when none is left).
  const Leases* live(std::string_view user_id, TimePoint at) {
    const auto it = users.find(user_id);
    if (it == users.end()) return nullptr;
    if (prune(it->second, at)) {
      users.erase(it);
      return nullptr;
    }
    return &it->second;
  }
};

MemoryNodeRegistry::MemoryNodeRegistry(NowFn now) : impl_(std::make_unique<Impl>()) {
  impl_->now = std::move(now);
}

MemoryNodeRegistry::~MemoryNodeRegistry() = default;

void MemoryNodeRegistry::add_connection(std::string_view user_id, const ConnectionLease& lease,
                                        std::chrono::milliseconds ttl, std::size_t limit,
                                        ResultCallback<Admission> done) {
  memory_detail::AnswerOnExit<Admission> answer(std::move(done));  // after the lock
  const TimePoint at = impl_->now();
  std::lock_guard lock(impl_->mu);
  const auto user = memory_detail::find_or_add(impl_->users, user_id);
  Leases& leases = user->second;
  prune(leases, at);
  const auto it =
      std::find_if(leases.begin(), leases.end(), [&](const Lease& l) { return l.is(lease); });
  if (it != leases.end()) {
    it->expires = at + ttl;
    answer.value = {true, leases.size()};
  } else if (leases.size() < limit) {
    leases.push_back({impl_->node_ids.intern(lease.node_id), lease.connection_id, at + ttl});
    answer.value = {true, leases.size()};
  } else {
    answer.value = {false, leases.size()};
    if (leases.empty()) impl_->users.erase(user);  // limit 0
  }
  if (impl_->sweeper.tick()) {
    impl_->sweeper.sweep(impl_->users, [at](Leases& l) { return prune(l, at); });
  }
}

void MemoryNodeRegistry::remove_connection(std::string_view user_id, const ConnectionLease& lease,
                                           Completion done) {
  const memory_detail::CompleteOnExit complete(std::move(done));  // after the lock
  std::lock_guard lock(impl_->mu);
  const auto it = impl_->users.find(user_id);
  if (it == impl_->users.end()) return;
  std::erase_if(it->second, [&](const Lease& l) { return l.is(lease); });
  if (it->second.empty()) impl_->users.erase(it);
}

void MemoryNodeRegistry::nodes_of(std::string_view user_id,
                                  ResultCallback<std::vector<std::string>> done) {
  std::vector<std::string> nodes;
  {
    std::lock_guard lock(impl_->mu);
    if (const Leases* leases = impl_->live(user_id, impl_->now())) {
      for (const Lease& l : *leases) {
        if (std::find(nodes.begin(), nodes.end(), *l.node_id) == nodes.end()) {
          nodes.push_back(*l.node_id);
        }
      }
    }
  }
  if (done) done({}, std::move(nodes));
}

void MemoryNodeRegistry::connection_count(std::string_view user_id,
                                          ResultCallback<std::size_t> done) {
  std::size_t count = 0;
  {
    std::lock_guard lock(impl_->mu);
    if (const Leases* leases = impl_->live(user_id, impl_->now())) count = leases->size();
  }
  if (done) done({}, count);
}

std::size_t MemoryNodeRegistry::user_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->users.size();
}

}  // namespace switchboard::engine
