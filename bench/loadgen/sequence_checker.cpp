#include "sequence_checker.hpp"

#include <algorithm>

namespace switchboard::bench {

void SequenceChecker::observe(std::uint64_t sequence) {
  if (!joined_) {
    joined_ = true;
    next_ = sequence;
  }
  if (sequence == next_) {  // the common case: in order
    ++next_;
    return;
  }
  if (sequence > next_) {
    for (std::uint64_t s = next_; s < sequence; ++s) {
      if (missing_.size() < kMaxTrackedGaps) {
        missing_.push_back(s);
      } else {
        ++untracked_lost_;
      }
    }
    next_ = sequence + 1;
    return;
  }
  auto it = std::find(missing_.begin(), missing_.end(), sequence);
  if (it != missing_.end()) {
    missing_.erase(it);
    ++reordered_;
  } else {
    ++duplicated_;
  }
}

IntegrityCounts SequenceChecker::finish(std::uint64_t published) const {
  IntegrityCounts counts;
  counts.lost = missing_.size() + untracked_lost_;
  counts.undelivered = published > next_ ? published - next_ : 0;
  counts.duplicated = duplicated_;
  counts.reordered = reordered_;
  return counts;
}

}  // namespace switchboard::bench
