// The hiredis event hooks on an Asio stream_descriptor. See asio_adapter.hpp for the design.
#include "asio_adapter.hpp"

#include <hiredis/async.h>

#include <boost/asio/post.hpp>
#include <utility>

namespace switchboard::engine::redis {

namespace asio = boost::asio;

std::shared_ptr<AsioAdapter> AsioAdapter::attach(redisAsyncContext* ac,
                                                 asio::any_io_executor executor,
                                                 std::function<void()> on_cleanup,
                                                 std::shared_ptr<IoCounter> writes) {
  auto adapter = std::make_shared<AsioAdapter>(Private{}, ac, std::move(executor),
                                               std::move(on_cleanup), std::move(writes));
  adapter->self_ = adapter;
  ac->ev.data = adapter.get();
  ac->ev.addRead = &AsioAdapter::add_read;
  ac->ev.delRead = &AsioAdapter::del_read;
  ac->ev.addWrite = &AsioAdapter::add_write;
  ac->ev.delWrite = &AsioAdapter::del_write;
  ac->ev.cleanup = &AsioAdapter::cleanup;
  return adapter;
}

AsioAdapter::AsioAdapter(Private, redisAsyncContext* ac, asio::any_io_executor executor,
                         std::function<void()> on_cleanup, std::shared_ptr<IoCounter> writes)
    : ac_(ac),
      executor_(executor),
      socket_(executor, ac->c.fd),
      on_cleanup_(std::move(on_cleanup)),
      writes_(std::move(writes)) {}

void AsioAdapter::add_read(void* p) {
  auto* self = static_cast<AsioAdapter*>(p);
  self->want_read_ = true;
  self->arm_read();
}

void AsioAdapter::del_read(void* p) {
  static_cast<AsioAdapter*>(p)->want_read_ = false;
}

void AsioAdapter::add_write(void* p) {
  auto* self = static_cast<AsioAdapter*>(p);
  self->want_write_ = true;
  if (self->write_armed_) return;  // the pending wait will write everything buffered
  // Until connected, writability is the connect completion hiredis waits for; after a partial
  // write, writability is what we wait for. Otherwise the socket is assumed writable and the
  // write is deferred to the end of this loop turn so that more commands join it.
  if (!(self->ac_->c.flags & REDIS_CONNECTED) || self->in_write_) {
    self->arm_write();
  } else {
    self->post_flush();
  }
}

void AsioAdapter::del_write(void* p) {
  static_cast<AsioAdapter*>(p)->want_write_ = false;
}

void AsioAdapter::cleanup(void* p) {
  auto* self = static_cast<AsioAdapter*>(p);
  std::shared_ptr<AsioAdapter> keep = std::move(self->self_);  // freed when this returns
  self->ac_ = nullptr;
  self->want_read_ = self->want_write_ = false;
  boost::system::error_code ignored;
  self->socket_.cancel(ignored);
  self->socket_.release();  // hiredis closes the fd in redisFree
  if (auto done = std::move(self->on_cleanup_)) done();
}

void AsioAdapter::arm_read() {
  if (read_armed_) return;
  read_armed_ = true;
  socket_.async_wait(asio::posix::stream_descriptor::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       self->read_armed_ = false;
                       if (!self->ac_ || ec == asio::error::operation_aborted) return;
                       // Any other error: let hiredis's read find it and report it.
                       if (self->want_read_) redisAsyncHandleRead(self->ac_);
                     });
}

void AsioAdapter::arm_write() {
  write_armed_ = true;
  socket_.async_wait(asio::posix::stream_descriptor::wait_write,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       self->write_armed_ = false;
                       if (!self->ac_ || ec == asio::error::operation_aborted) return;
                       if (self->want_write_) self->handle_write();
                     });
}

void AsioAdapter::post_flush() {
  if (flush_posted_) return;
  flush_posted_ = true;
  asio::post(executor_, [self = shared_from_this()] {
    self->flush_posted_ = false;
    if (self->ac_ && self->want_write_ && !self->write_armed_) self->handle_write();
  });
}

void AsioAdapter::handle_write() {
  // Before the connect completed the call only detects it (the owner queues nothing before).
  if ((ac_->c.flags & REDIS_CONNECTED) && sdslen(ac_->c.obuf) > 0) writes_->add();
  in_write_ = true;
  redisAsyncHandleWrite(ac_);  // may end in cleanup(): `this` is kept alive by the caller
  in_write_ = false;
}

}  // namespace switchboard::engine::redis
