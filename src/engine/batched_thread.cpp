// SCHED_BATCH for the engine's relay threads. See batched_thread.hpp.
#include "switchboard/engine/batched_thread.hpp"

#include <pthread.h>
#include <sched.h>
#include <spdlog/spdlog.h>

#include <cstring>

namespace switchboard::engine {

void run_this_thread_batched(const char* who) {
  sched_param param{};
  param.sched_priority = 0;
  if (const int err = pthread_setschedparam(pthread_self(), SCHED_BATCH, &param); err != 0) {
    spdlog::debug("{} keeps the normal scheduling policy ({})", who, std::strerror(err));
  }
}

}  // namespace switchboard::engine
