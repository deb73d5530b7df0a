#pragma once
// The scheduling of the engine's relay threads: threads that workers post calls to and that
// post deliveries back (the Redis context's I/O thread, the relay broker's delivery thread).
//
// Under the normal policy each wake-up of such a thread preempts whoever runs on that core,
// so on a busy core it handles a worker's calls one at a time, and the worker handles the
// deliveries one at a time (one sendmsg per connection each). SCHED_BATCH threads do not
// preempt on wake-up: one runs when the worker's turn ends (or at the next tick), finds the
// whole turn's calls queued, and hands the worker everything that arrived meanwhile together.
// Same CPU share (nice 0); no privilege needed. Measured on the Redis I/O thread with 5,000
// subscribers, everything on one core: 13 -> 31 frames per sendmsg, 3.4 -> 5.3 M
// deliveries/s, latency at 1,000 publications/s unchanged (docs/cluster.md, "Performance").
namespace switchboard::engine {

// Puts the calling thread under SCHED_BATCH; `who` names it in the debug line logged when
// the system refuses (the thread then keeps the normal policy).
void run_this_thread_batched(const char* who);

}  // namespace switchboard::engine
