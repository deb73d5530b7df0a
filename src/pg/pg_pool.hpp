#pragma once
// PgPool: a few PgConnections to one server, for independent queries (the rules' enrich
// queries). A query goes to the connected session with the fewest calls waiting; with none
// connected, or `max_waiting` calls waiting already, it fails at once — the caller holds its
// messages and tries again later, so that a server that is down or slow costs no memory here.
//
// Thread safety: as PgConnection: everything on the executor; up(), status(), connects() any.
#include <memory>
#include <string>
#include <vector>

#include "pg_connection.hpp"

namespace switchboard::pg {

class PgPool {
 public:
  PgPool(boost::asio::any_io_executor executor, PgOptions options, std::size_t size,
         std::size_t max_waiting = 256);
  ~PgPool();

  void start();
  void stop();
  void query(std::string sql, PgParams params, PgDone done);

  bool up() const noexcept;             // any session connected
  std::string status() const;           // the first session's reason when none is
  std::uint64_t connects() const noexcept;
  const std::string& dsn() const noexcept { return dsn_; }

 private:
  struct Session {
    std::shared_ptr<PgConnection> connection;
    std::shared_ptr<std::size_t> waiting = std::make_shared<std::size_t>(0);
  };
  boost::asio::any_io_executor executor_;
  std::string dsn_;
  std::vector<Session> sessions_;
  std::size_t max_waiting_;
};

}  // namespace switchboard::pg
