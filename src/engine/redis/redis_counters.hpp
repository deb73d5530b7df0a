#pragma once
// The Redis client's counters, readable from any thread (the node's /metrics is served by a
// worker) while the I/O thread writes them. Each counter has exactly one writer, the thread
// running the connection's executor, so an increment is a relaxed load and store — no locked
// instruction and no lock on the per-command path — and a reader sees some recent value.
//
// They live in blocks held by shared_ptr: the owner of a connection (RedisContext for the shard
// connections, RedisBroker for the subscribers) creates the block up front and keeps it, so the
// counters stay readable while connections come and go on the I/O thread.
#include <atomic>
#include <cstdint>

namespace switchboard::engine::redis {

// Thread safety: add()/set() on the writer thread only; value() on any thread.
class IoCounter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void set(std::uint64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// One RedisConnection's (RedisStats is the same as plain numbers).
struct RedisConnectionCounters {
  IoCounter commands;  // handed to hiredis (login and PINGs included)
  IoCounter writes;    // write() calls carrying commands
  IoCounter rejected_not_connected;
  IoCounter rejected_in_flight;
  IoCounter error_replies;
  IoCounter failed_pending;  // completed with timeout / connection_lost / shut_down
  IoCounter timeouts;        // connection resets because a reply was late
  IoCounter connects;        // successful logins (the first and every reconnect)
  IoCounter in_flight;       // commands awaiting replies, now
};

// One RedisSubscriber's (SubscriberStats is the same as plain numbers), its connection's
// included.
struct SubscriberCounters {
  IoCounter messages;          // delivered to on_message / on_pmessage
  IoCounter dropped_unwanted;  // arrived for a channel unsubscribed meanwhile
  IoCounter rejected_not_connected;
  IoCounter confirmation_timeouts;  // connection resets: a confirmation was late
  IoCounter resubscribed;           // confirmations after a reconnect
  IoCounter probes;                 // liveness probes sent (redis_subscriber.hpp)
  IoCounter up;                     // 1 while the connection is logged in (a gauge)
  RedisConnectionCounters connection;
};

}  // namespace switchboard::engine::redis
