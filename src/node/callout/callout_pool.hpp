#pragma once
// A bounded pool of kept-alive HTTP connections for the node's call-outs (auth service, upstream
// webhook): at most `max_connections` connections to one origin are open at once, further calls
// wait in a bounded FIFO queue, and a connection whose answer allowed it is kept idle for the
// next call (closed after `idle_timeout`).
//
// Ownership: one pool per io_context and per origin (host:port) and limits. The pools of an
// io_context belong to that io_context — they are held by an Asio service registered on it
// (`CalloutPool::of`) — so they live exactly as long as the loop their sockets run on, and a
// caller needs no object of its own per loop. This matches how call-outs are made: the auth
// service on the calling worker's loop (each worker has its own pool, so the cap is per worker),
// the webhook on the node's housekeeping loop. When the io_context is destroyed, its pools close
// their connections and drop waiting calls without calling them back.
//
// Thread safety: `of` and `close_idle` may be called from any thread. Everything else runs on
// the pool's strand (`strand()`), where the pool's state and its callers' handlers live.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <list>
#include <memory>
#include <string>

namespace switchboard::node {

struct CalloutLimits {
  std::size_t max_connections = 16;  // open at once (idle ones included)
  std::size_t max_queued = 1024;     // calls waiting for a connection; one more is refused
  // Below the 5 s keep-alive timeout of Node.js and Apache, the lowest common default, so that
  // we normally close an idle connection before the server does (a server that closes first is
  // handled: see Waiter below).
  std::chrono::milliseconds idle_timeout{4000};

  friend bool operator==(const CalloutLimits&, const CalloutLimits&) = default;
};

class CalloutPool : public std::enable_shared_from_this<CalloutPool> {
 public:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  using Socket = boost::asio::ip::tcp::socket;

  // One of the pool's `max_connections` slots, held by one call at a time. `socket` is an idle
  // kept-alive connection (`reused`), or null: the holder connects a new socket (made with
  // `strand()`) in this slot — also to retry on a fresh connection after a reused one failed.
  // Every lease goes back through release().
  struct Lease {
    std::unique_ptr<Socket> socket;
    bool reused = false;
  };

  // A call asking for a slot. granted() runs on the strand: inside acquire() when a slot is
  // free at once, later (from another call's release()) when the call had to wait. It starts
  // asynchronous work and returns; it must not call back into the pool before returning.
  class Waiter {
   public:
    virtual ~Waiter() = default;
    virtual void granted(Lease lease) = 0;

   private:
    friend class CalloutPool;
    std::list<std::shared_ptr<Waiter>>::iterator queued_at_;
    bool queued_ = false;
  };

  // The pool of `io` for `origin` with `limits`, created on first use. Any thread.
  static std::shared_ptr<CalloutPool> of(boost::asio::io_context& io, const std::string& origin,
                                         const CalloutLimits& limits);
  // Closes the idle connections of every pool of `io` (an io_context about to stop: their
  // idle timers would otherwise keep it running until they fire). Any thread; asynchronous.
  static void close_idle(boost::asio::io_context& io);

  CalloutPool(boost::asio::io_context& io, const CalloutLimits& limits);
  CalloutPool(const CalloutPool&) = delete;
  CalloutPool& operator=(const CalloutPool&) = delete;

  const Strand& strand() const noexcept { return strand_; }
  const CalloutLimits& limits() const noexcept { return limits_; }

  // --- On the strand ---------------------------------------------------------------------
  // Grants `waiter` a slot at once (an idle connection that still looks open, or a new one
  // while fewer than max_connections are open), or queues it; false when max_queued calls are
  // already waiting (the caller fails the call).
  bool acquire(const std::shared_ptr<Waiter>& waiter);
  // A queued waiter gives up (its deadline passed). No effect on a waiter not queued.
  void cancel(Waiter& waiter);
  // The holder is done with its slot. With `keep_alive` its open socket serves the next call
  // (the first waiter, or later from the idle list); otherwise it is closed and the slot goes
  // to the first waiter, which then connects anew.
  void release(Lease lease, bool keep_alive);
  // Closes the idle connections and stops the idle timer.
  void close_idle_now();
  // The io_context is being destroyed: drop waiters (not called back) and idle connections.
  void abandon();

 private:
  struct Idle {
    std::unique_ptr<Socket> socket;
    std::chrono::steady_clock::time_point since;
  };
  void grant_first(Lease lease);
  void arm_idle_timer();
  void on_idle_timer();

  Strand strand_;
  CalloutLimits limits_;
  std::size_t leased_ = 0;  // slots held by calls; leased_ + idle_.size() <= max_connections
  std::deque<Idle> idle_;   // oldest first; the newest is reused first
  std::list<std::shared_ptr<Waiter>> waiters_;  // FIFO
  boost::asio::steady_timer idle_timer_;
  bool idle_timer_armed_ = false;
};

}  // namespace switchboard::node
