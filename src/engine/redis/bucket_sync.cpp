// The local bucket following the shared one. See bucket_sync.hpp.
#include "bucket_sync.hpp"

namespace switchboard::engine::redis {

TokenBucket follow_shared(double tokens, std::int64_t last_ms,
                          std::span<const SentTake> unanswered) {
  TokenBucket bucket(tokens, logical_time(last_ms));
  // Charged as the script will charge them (a take it cannot cover becomes a debt).
  for (const SentTake& t : unanswered) bucket.charge(t.limit, logical_time(t.at_ms), t.cost);
  return bucket;
}

}  // namespace switchboard::engine::redis
