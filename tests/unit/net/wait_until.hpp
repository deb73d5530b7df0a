#pragma once
// Waiting, with a deadline, for state another thread changes and that signals nothing a test
// could block on (a server's connection count). A regression then fails the test with a
// message instead of hanging it:
//
//   ASSERT_TRUE(wait_until([&] { return server->ws_connections() == 2; }))
//       << "the server never counted both connections";
//
// The default bound is generous (10 s for what takes microseconds): it only has to end a
// hang, and must never fire on a loaded 2-core machine running ThreadSanitizer.
#include <chrono>
#include <thread>

namespace switchboard::net::testing {

inline constexpr std::chrono::milliseconds kWaitDeadline{10000};

// Polls `condition` until it is true (returns true) or `timeout` has passed (returns false).
template <class Condition>
bool wait_until(Condition&& condition, std::chrono::milliseconds timeout = kWaitDeadline) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // Sleep rather than yield: the server's threads share the machine's two cores.
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace switchboard::net::testing
