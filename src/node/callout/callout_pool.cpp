#include "callout_pool.hpp"

#include <sys/socket.h>

#include <boost/asio/execution_context.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace switchboard::node {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// The registry of an io_context's pools: an Asio service, so that it is created with the first
// call-out on that io_context and destroyed with it (see the header's Ownership paragraph).
class CalloutPools final : public asio::execution_context::service {
 public:
  static asio::execution_context::id id;

  explicit CalloutPools(asio::execution_context& context) : service(context) {}

  std::shared_ptr<CalloutPool> pool(asio::io_context& io, const std::string& origin,
                                    const CalloutLimits& limits) {
    std::lock_guard lock(mutex_);
    for (const Entry& e : pools_) {  // a handful of entries: one per origin and limits
      if (e.origin == origin && e.pool->limits() == limits) return e.pool;
    }
    pools_.push_back(Entry{origin, std::make_shared<CalloutPool>(io, limits)});
    return pools_.back().pool;
  }

  void close_idle() {
    std::lock_guard lock(mutex_);
    for (const Entry& e : pools_) {
      asio::post(e.pool->strand(), [pool = e.pool] { pool->close_idle_now(); });
    }
  }

 private:
  struct Entry {
    std::string origin;
    std::shared_ptr<CalloutPool> pool;
  };

  // Runs while the io_context is destroyed, when no thread runs it any more.
  void shutdown() override {
    std::vector<Entry> pools;
    {
      std::lock_guard lock(mutex_);
      pools.swap(pools_);
    }
    for (const Entry& e : pools) e.pool->abandon();
  }

  std::mutex mutex_;
  std::vector<Entry> pools_;
};

asio::execution_context::id CalloutPools::id;

// An idle kept-alive connection is worth reusing only if the server has not closed it (or sent
// something unasked, which makes the stream unusable): a non-blocking peek tells without
// consuming anything. A server that closes it just after this check is handled by the caller's
// retry on a fresh connection.
bool still_open(CalloutPool::Socket& socket) {
  if (!socket.is_open()) return false;
  char byte = 0;
  const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void close_socket(CalloutPool::Socket& socket) {
  error_code ignored;
  socket.shutdown(CalloutPool::Socket::shutdown_both, ignored);
  socket.close(ignored);
}

}  // namespace

std::shared_ptr<CalloutPool> CalloutPool::of(asio::io_context& io, const std::string& origin,
                                             const CalloutLimits& limits) {
  return asio::use_service<CalloutPools>(io).pool(io, origin, limits);
}

void CalloutPool::close_idle(asio::io_context& io) {
  asio::use_service<CalloutPools>(io).close_idle();
}

CalloutPool::CalloutPool(asio::io_context& io, const CalloutLimits& limits)
    : strand_(asio::make_strand(io)), limits_(limits), idle_timer_(strand_) {}

bool CalloutPool::acquire(const std::shared_ptr<Waiter>& waiter) {
  while (!idle_.empty()) {
    std::unique_ptr<Socket> socket = std::move(idle_.back().socket);
    idle_.pop_back();
    if (still_open(*socket)) {
      ++leased_;
      waiter->granted(Lease{std::move(socket), true});
      return true;
    }
    close_socket(*socket);
  }
  if (leased_ < limits_.max_connections) {
    ++leased_;
    waiter->granted(Lease{});
    return true;
  }
  if (waiters_.size() >= limits_.max_queued) return false;
  waiters_.push_back(waiter);
  waiter->queued_at_ = std::prev(waiters_.end());
  waiter->queued_ = true;
  return true;
}

void CalloutPool::cancel(Waiter& waiter) {
  if (!waiter.queued_) return;
  waiter.queued_ = false;
  waiters_.erase(waiter.queued_at_);  // may drop the last reference: touch `waiter` no more
}

void CalloutPool::release(Lease lease, bool keep_alive) {
  if (!keep_alive || !lease.socket || !lease.socket->is_open()) {
    if (lease.socket) close_socket(*lease.socket);
    if (waiters_.empty()) {
      --leased_;
      return;
    }
    return grant_first(Lease{});  // the slot passes on: the waiter connects anew
  }
  if (!waiters_.empty()) return grant_first(Lease{std::move(lease.socket), true});
  --leased_;
  idle_.push_back(Idle{std::move(lease.socket), std::chrono::steady_clock::now()});
  arm_idle_timer();
}

void CalloutPool::grant_first(Lease lease) {
  std::shared_ptr<Waiter> waiter = std::move(waiters_.front());
  waiters_.pop_front();
  waiter->queued_ = false;
  waiter->granted(std::move(lease));
}

void CalloutPool::arm_idle_timer() {
  if (idle_timer_armed_ || idle_.empty()) return;
  idle_timer_armed_ = true;
  idle_timer_.expires_at(idle_.front().since + limits_.idle_timeout);
  idle_timer_.async_wait([self = shared_from_this()](error_code) { self->on_idle_timer(); });
}

void CalloutPool::on_idle_timer() {
  idle_timer_armed_ = false;
  const auto now = std::chrono::steady_clock::now();
  while (!idle_.empty() && idle_.front().since + limits_.idle_timeout <= now) {
    close_socket(*idle_.front().socket);
    idle_.pop_front();
  }
  arm_idle_timer();
}

void CalloutPool::close_idle_now() {
  for (Idle& idle : idle_) close_socket(*idle.socket);
  idle_.clear();
  idle_timer_.cancel();  // its handler finds nothing idle and does not re-arm
}

void CalloutPool::abandon() {
  for (const auto& waiter : waiters_) waiter->queued_ = false;
  waiters_.clear();
  for (Idle& idle : idle_) close_socket(*idle.socket);
  idle_.clear();
}

}  // namespace switchboard::node
