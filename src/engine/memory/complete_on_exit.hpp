#pragma once
// Completes a memory store's mutation when the function returns: declared before the store's
// lock, it is destroyed after it, so the completion never runs under the store's lock (the
// engine rule: a caller may call the store again from its completion).
#include <utility>

#include "switchboard/engine/error.hpp"

namespace switchboard::engine::memory_detail {

class CompleteOnExit {
 public:
  explicit CompleteOnExit(Completion done) : done_(std::move(done)) {}
  CompleteOnExit(const CompleteOnExit&) = delete;
  CompleteOnExit& operator=(const CompleteOnExit&) = delete;
  ~CompleteOnExit() {
    if (done_) done_({});
  }

 private:
  Completion done_;
};

}  // namespace switchboard::engine::memory_detail
