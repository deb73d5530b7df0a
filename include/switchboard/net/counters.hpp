#pragma once
// Per-worker metrics. Each counter has exactly one writer (its worker thread), so increments
// are a relaxed load and store — no locked instruction on the data path — while /metrics,
// served by any worker, reads them with relaxed loads.
#include <array>
#include <atomic>
#include <cstdint>

namespace switchboard::net {

// Thread safety: add()/set() only on the owning worker; value() on any thread.
class Counter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void sub(std::uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
  }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// Handshake outcomes, for handshakes_total{result=...}.
enum class HandshakeResult : std::uint8_t {
  ok,
  bad_request,        // 400 (malformed request, key, headers)
  method_not_allowed, // 405
  forbidden,          // 403 (origin)
  not_found,          // 404 (no endpoint on that path)
  upgrade_required,   // 426 (version)
  too_large,          // 431 (request headers over the limit)
  unavailable,        // 503 (draining)
  rejected,           // refused by the endpoint (e.g. authentication)
  timeout,            // handshake timeout
  count_
};
const char* to_string(HandshakeResult r) noexcept;

// Close codes are counted in a small fixed table: 1000-1015 and 4000-4015 each have a slot,
// every other code shares "other".
class CloseCodeCounters {
 public:
  static constexpr std::size_t kSlots = 33;
  void add(std::uint16_t code) noexcept { slots_[slot(code)].add(); }
  std::uint64_t value_at(std::size_t i) const noexcept { return slots_[i].value(); }
  // The code a slot stands for; 0 for "other".
  static std::uint16_t code_of(std::size_t i) noexcept {
    return i < 16 ? static_cast<std::uint16_t>(1000 + i)
                  : (i < 32 ? static_cast<std::uint16_t>(4000 + i - 16) : 0);
  }

 private:
  static std::size_t slot(std::uint16_t code) noexcept {
    if (code >= 1000 && code <= 1015) return code - 1000u;
    if (code >= 4000 && code <= 4015) return code - 4000u + 16;
    return 32;
  }
  std::array<Counter, kSlots> slots_;
};

struct WorkerCounters {
  Counter ws_connections;         // gauge: open WebSocket connections
  Counter http_connections;       // gauge: TCP connections not (yet) upgraded
  Counter accepted_total;         // TCP connections accepted
  Counter adopted_total;          // connections the host application handed over (Server::adopt)
  std::array<Counter, static_cast<std::size_t>(HandshakeResult::count_)> handshakes;
  Counter http_requests_total;    // plain HTTP requests served
  Counter http_discarded_bytes_total;  // read after a response that closes the connection
  Counter messages_in_total;
  Counter bytes_in_total;         // WebSocket bytes read (frames, before inflation)
  Counter messages_out_total;     // frames queued to connections
  Counter bytes_out_total;        // bytes written to sockets
  CloseCodeCounters closes;       // close frames sent, by code (1006: dropped without one)
  Counter slow_consumer_total;    // connections closed over outbound_queue_limit
  Counter dropped_bytes_total;    // queued bytes discarded when a slow consumer was cut off
  Counter idle_timeout_total;
  Counter broadcast_total;        // messages fanned out by this worker

  void handshake(HandshakeResult r) noexcept { handshakes[static_cast<std::size_t>(r)].add(); }
};

}  // namespace switchboard::net
