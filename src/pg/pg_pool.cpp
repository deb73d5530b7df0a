#include "pg_pool.hpp"

#include <boost/asio/post.hpp>

namespace switchboard::pg {

PgPool::PgPool(boost::asio::any_io_executor executor, PgOptions options, std::size_t size,
               std::size_t max_waiting)
    : executor_(executor), dsn_(options.dsn), max_waiting_(max_waiting) {
  for (std::size_t i = 0; i < std::max<std::size_t>(size, 1); ++i) {
    sessions_.push_back(Session{PgConnection::create(executor, options)});
  }
}

PgPool::~PgPool() { stop(); }

void PgPool::start() {
  for (auto& s : sessions_) s.connection->start();
}

void PgPool::stop() {
  for (auto& s : sessions_) s.connection->stop();
}

void PgPool::query(std::string sql, PgParams params, PgDone done) {
  Session* best = nullptr;
  std::size_t total = 0;
  for (auto& s : sessions_) {
    total += *s.waiting;
    if (s.connection->up() && (best == nullptr || *s.waiting < *best->waiting)) best = &s;
  }
  if (best == nullptr || total >= max_waiting_) {
    PgResult r;
    r.error = best == nullptr ? "not connected: " + status()
                              : "too many queries waiting (" + std::to_string(total) + ")";
    boost::asio::post(executor_, [done = std::move(done), r = std::move(r)]() mutable {
      done(std::move(r));
    });
    return;
  }
  ++*best->waiting;
  best->connection->query(std::move(sql), std::move(params),
                          [waiting = best->waiting, done = std::move(done)](PgResult r) {
                            --*waiting;
                            done(std::move(r));
                          });
}

bool PgPool::up() const noexcept {
  for (const auto& s : sessions_) {
    if (s.connection->up()) return true;
  }
  return false;
}

std::string PgPool::status() const {
  return up() ? "connected" : sessions_.front().connection->status();
}

std::uint64_t PgPool::connects() const noexcept {
  std::uint64_t n = 0;
  for (const auto& s : sessions_) n += s.connection->connects();
  return n;
}

}  // namespace switchboard::pg
