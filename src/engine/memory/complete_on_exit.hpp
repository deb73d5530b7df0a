#pragma once
// Completes a memory store's mutation when the function returns: declared before the store's
// lock, it is destroyed after it, so the completion never runs under the store's lock (the
// engine rule: a caller may call the store again from its completion). AnswerOnExit does the
// same for a mutation that answers a value, set under the lock.
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

template <class T>
class AnswerOnExit {
 public:
  explicit AnswerOnExit(ResultCallback<T> done) : done_(std::move(done)) {}
  AnswerOnExit(const AnswerOnExit&) = delete;
  AnswerOnExit& operator=(const AnswerOnExit&) = delete;
  ~AnswerOnExit() {
    if (done_) done_({}, std::move(value));
  }

  T value{};  // what the completion receives

 private:
  ResultCallback<T> done_;
};

}  // namespace switchboard::engine::memory_detail
