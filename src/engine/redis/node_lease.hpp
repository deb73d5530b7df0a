#pragma once
// NodeLease: a node's claim on its id in Redis, so that two running nodes never share one
// (they would both receive the other's node messages).
//
// Key `P nd:<node_id>` on shard(node_id) holds a random token of this process; claim() sets it
// (PX ttl) unless another token is there, as one script; keep() refreshes it every ttl / 3;
// release() deletes it if it is still ours, so a node restarted in an orderly way may take its
// id again at once. A crashed node's id is free after the ttl (the node's ids carry a random
// suffix, so this only matters for ids chosen by hand).
//
// Real time, not the injected clock: the lease is between processes, which a test's
// ManualClock does not stop, and no contract clause depends on it. (Everything the contract
// suites time is logical: history_scripts.hpp.)
//
// Thread safety: the context's I/O thread only (construction included). Owned by a shared_ptr:
// its timer and its script's completion keep it alive; after release() they do nothing.
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "redis_context.hpp"
#include "redis_script.hpp"

namespace switchboard::engine::redis {

class NodeLease : public std::enable_shared_from_this<NodeLease> {
 public:
  enum class Claim { ours, taken, failed };  // failed: no answer (Redis down, timeout)

  static constexpr std::chrono::milliseconds kTtl{9000};

  // `conflicts` counts refreshes that found another token; it is only touched before
  // release().
  NodeLease(RedisContext& context, std::string node_id, std::atomic<std::uint64_t>& conflicts);

  // Claims the id now; `done` runs on the I/O thread (not after release()).
  void claim(std::function<void(Claim)> done);
  // Refreshes every kTtl / 3 from now on; a refresh finding another token counts a conflict
  // and logs it (the id was claimed while this node could not reach Redis).
  void keep();
  // Stops refreshing; deletes the key if it still holds our token (not waited for).
  void release();

 private:
  void schedule();

  RedisContext& context_;
  std::string node_id_;
  std::string key_;
  std::string token_;
  std::size_t shard_;
  RedisScript claim_script_;
  RedisScript release_script_;
  boost::asio::steady_timer timer_;
  bool released_ = false;
  std::atomic<std::uint64_t>& conflicts_;
};

}  // namespace switchboard::engine::redis
