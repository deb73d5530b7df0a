#pragma once
// AsioAdapter: drives one hiredis 0.14 async context (redisAsyncContext) from an Asio executor.
//
// hiredis's async API owns no event loop. It asks for readiness through five hooks in
// `ac->ev` (addRead, delRead, addWrite, delWrite, cleanup) and we call redisAsyncHandleRead /
// redisAsyncHandleWrite when the socket is ready. hiredis 0.14 has no timer hook (no
// scheduleTimer, no redisAsyncSetTimeout: both came in 1.0.0), so deadlines are the owner's
// business (RedisConnection).
//
// What this adapter adds to the obvious mapping:
// - Coalesced writes. Every command appended calls addWrite. Once the connection is up,
//   addWrite does not wait for writability: it posts one flush to the executor, so every
//   command issued in the same loop turn goes out in one write() (hiredis writes its whole
//   output buffer per redisAsyncHandleWrite). Only when a write was partial (socket buffer
//   full) does it wait for writability. The owner's `writes` counter counts the write() calls.
// - Connection detection. Before the TCP connect completed, addWrite really waits for
//   writability: that is how hiredis 0.14 learns the connect finished (or failed).
// - No cancel() on delRead/delWrite: cancelling a descriptor aborts the waits of both
//   directions. The hooks only clear a "wanted" flag; a wakeup nobody wants is ignored.
// - Release, not close. hiredis closes the socket itself (redisFree). cleanup() releases the
//   descriptor from Asio (cancelling its waits) so that it is never closed twice, and marks the
//   adapter dead: handlers still queued find no context and touch nothing. They hold a
//   shared_ptr, so the adapter outlives them.
//
// Thread safety: none. The adapter, its context and every hiredis call for that context run
// on one executor: one thread running the io_context, or a strand.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <functional>
#include <memory>

#include "redis_counters.hpp"

struct redisAsyncContext;  // hiredis

namespace switchboard::engine::redis {

class AsioAdapter : public std::enable_shared_from_this<AsioAdapter> {
 public:
  // Installs the hooks on `ac` (which has a socket and no adapter yet). `on_cleanup` runs once,
  // from inside hiredis when it frees the context (after every pending reply callback ran with
  // a NULL reply); the context must not be used after it. It is the one notification hiredis
  // 0.14 gives on every path that frees a context — failed connect, lost connection, our own
  // redisAsyncFree — whereas onDisconnect runs only if the context had connected. Returns the
  // adapter, which keeps itself alive until then.
  // `writes` counts the write() calls made with bytes to send (each redisAsyncHandleWrite makes
  // at most one); the owner reads it from any thread.
  static std::shared_ptr<AsioAdapter> attach(redisAsyncContext* ac,
                                             boost::asio::any_io_executor executor,
                                             std::function<void()> on_cleanup,
                                             std::shared_ptr<IoCounter> writes);

  AsioAdapter(const AsioAdapter&) = delete;
  AsioAdapter& operator=(const AsioAdapter&) = delete;

 private:
  struct Private {};

 public:
  AsioAdapter(Private, redisAsyncContext* ac, boost::asio::any_io_executor executor,
              std::function<void()> on_cleanup, std::shared_ptr<IoCounter> writes);

 private:
  static void add_read(void* self);
  static void del_read(void* self);
  static void add_write(void* self);
  static void del_write(void* self);
  static void cleanup(void* self);

  void arm_read();
  void arm_write();
  void post_flush();
  void handle_write();  // one redisAsyncHandleWrite; may free the context

  redisAsyncContext* ac_;  // null once hiredis cleaned up
  boost::asio::any_io_executor executor_;
  boost::asio::posix::stream_descriptor socket_;
  std::function<void()> on_cleanup_;
  std::shared_ptr<AsioAdapter> self_;  // hiredis's reference (ev.data), dropped in cleanup
  bool want_read_ = false;
  bool want_write_ = false;
  bool read_armed_ = false;
  bool write_armed_ = false;
  bool flush_posted_ = false;
  bool in_write_ = false;  // inside redisAsyncHandleWrite: "not all written" must wait
  std::shared_ptr<IoCounter> writes_;
};

}  // namespace switchboard::engine::redis
