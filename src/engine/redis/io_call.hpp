#pragma once
// How an engine call of the Redis engine reaches the context's I/O thread, and how it fails
// when it cannot.
//
// post_call(context, done, work) runs `work(std::move(done))` on the I/O thread, where the call
// issues its commands and later completes `done`. When the context no longer accepts work
// (stopped), `done` completes at once, on the caller's thread, with `unavailable` (and a
// default value for a ResultCallback): the call had no effect, and it still completes once.
//
// Callers copy their arguments into owned values captured by `work`: the views they were
// given are gone by the time it runs.
#include <functional>
#include <system_error>
#include <utility>

#include "redis_context.hpp"
#include "switchboard/engine/error.hpp"

namespace switchboard::engine::redis {

// Completes `done` (which may be empty) with `ec` and, for a result, `value` (default on error).
inline void complete(const Completion& done, std::error_code ec) {
  if (done) done(ec);
}
template <class T>
void complete(const ResultCallback<T>& done, std::error_code ec, T value = T{}) {
  if (done) done(ec, std::move(value));
}

template <class Done, class Work>
struct IoCall {
  Done done;
  Work work;
  void operator()() { work(std::move(done)); }
};

// Runs `work(std::move(done))` on the I/O thread, or completes `done` with `unavailable` now.
template <class Done, class Work>
void post_call(RedisContext& context, Done done, Work work) {
  IoCall<Done, Work> call{std::move(done), std::move(work)};
  // post() takes the call by reference and moves from it only when it accepts it: refused,
  // `call.done` is still ours to complete.
  if (!context.post(std::move(call))) complete(call.done, EngineErrc::unavailable);
}

}  // namespace switchboard::engine::redis
