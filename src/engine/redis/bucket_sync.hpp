#pragma once
// How a node's local token bucket follows the shared bucket in Redis (redis_rate_limiter.hpp):
// when Redis answers one of the node's takes, the local bucket becomes the shared bucket's
// state, and the takes the node sent after that one — which Redis charges next, in order —
// are charged to it again with the same arithmetic (TokenBucket::charge: a take the bucket
// cannot cover leaves a debt, as in the script). With no other node taking, the result is
// exactly the bucket the node already had; otherwise it holds what the others took.
#include <cstdint>
#include <span>

#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/rate_limiter.hpp"

namespace switchboard::engine::redis {

// The local buckets' time line: the context's logical milliseconds (RedisContext::now_ms()),
// the clock the shared script sees, so both sides compute with the same numbers.
inline TimePoint logical_time(std::int64_t ms) {
  return TimePoint(std::chrono::milliseconds(ms));
}

// A take this node allowed and sent to the shared bucket, not answered yet.
struct SentTake {
  std::uint64_t seq = 0;  // which take (unique per limiter)
  std::int64_t at_ms = 0;
  double cost = 0;
  RateLimit limit;
};

// The shared bucket holds `tokens` at `last_ms`; then `unanswered`, oldest first.
TokenBucket follow_shared(double tokens, std::int64_t last_ms,
                          std::span<const SentTake> unanswered);

}  // namespace switchboard::engine::redis
