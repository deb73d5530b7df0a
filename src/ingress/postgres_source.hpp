#pragma once
// PostgresOutboxSource: one outbox table (a PostgreSQL server and [schema.]table) for every
// rule that reads it, over one PgConnection on the ingress thread (docs/ingress.md,
// "PostgreSQL outbox").
//
// A claim is one transaction:
//   BEGIN; SELECT pg_try_advisory_xact_lock(…)        — one claimer per table at a time, so
//                                                        that rows leave in id order even with
//                                                        several nodes (a busy lock: try later)
//   SELECT … WHERE failed_at IS NULL ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED
//   each row → the first rule whose topics match → the Handoff, with a Settle;
//   once every row is settled:
//     delivered → DELETE; rejected (or no rule, a NULL topic or payload) → moved aside:
//     failed_at = now(), error = why; failed (the engine did not take it) → left as it is;
//   COMMIT.
// Nothing is deleted before the node's publish completed: a node killed mid-claim loses its
// connection, PostgreSQL rolls back, and the next claim (here or on another node) delivers
// the rows again (at least once; the row id is the idempotency key, so with a dedupe window the
// engine collapses the repeat). A claim that filled its batch, or was woken during it, is
// followed by another at once; else the next comes on a NOTIFY (LISTEN on the same session)
// or after poll_interval; after failed rows, after a jittered backoff (100 ms … 5 s).
//
// Thread safety: constructed, started, stopped and fed on the ingress thread (its executor);
// the settles on any thread, also after the source is gone; health(), name(), up(),
// connects() and counters() from any thread.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "glob_pattern.hpp"
#include "handoff.hpp"
#include "ingress_source.hpp"
#include "pg_connection.hpp"
#include "switchboard/config/ingress_rule.hpp"
#include "switchboard/config/rate_limited_log.hpp"
#include "switchboard/engine/backoff.hpp"
#include "switchboard/engine/metrics_sink.hpp"

namespace switchboard::ingress {

struct PostgresSourceOptions {
  pg::PgOptions connection;
  std::string table = "switchboard_outbox";  // [schema.]name
  config::OutboxColumns columns;
  std::string notify = "switchboard_outbox";
  std::size_t batch = 256;
  std::chrono::milliseconds poll_interval{1000};
};

// What the claims did, for /metrics.
struct OutboxCounters {
  std::atomic<std::uint64_t> claims{0};        // committed with rows
  std::atomic<std::uint64_t> empty_claims{0};  // found none
  std::atomic<std::uint64_t> busy_claims{0};   // another node held the table's claim
  std::atomic<std::uint64_t> failed_claims{0};  // a statement failed: rolled back
  std::atomic<std::uint64_t> delivered{0};     // rows deleted after the publish
  std::atomic<std::uint64_t> moved_aside{0};   // rows given failed_at and error
  std::atomic<std::uint64_t> returned{0};      // rows left for a later claim (engine failed,
                                               // claim rolled back)
};

class PostgresOutboxSource;
// switchboard_ingress_outbox_rows_total and _claims_total for these sources (none: nothing).
void write_outbox_metrics(engine::MetricsSink& sink,
                          const std::vector<const PostgresOutboxSource*>& sources);

class PostgresOutboxSource final : public IngressSource {
 public:
  PostgresOutboxSource(boost::asio::any_io_executor executor, PostgresSourceOptions options,
                       Handoff& handoff);
  ~PostgresOutboxSource() override;

  // Before start(): rule `rule` takes the rows whose topic one of `topics` matches (the
  // first such rule, in the order they were added).
  void add(std::size_t rule, const std::vector<std::string>& topics);
  void start() override;
  void stop() override;

  const std::string& name() const noexcept override { return name_; }
  engine::BackendHealth health() const override;
  bool up() const noexcept override { return up_.load(std::memory_order_relaxed); }
  std::uint64_t connects() const noexcept override { return connection_->connects(); }
  const OutboxCounters& counters() const noexcept { return *counters_; }

 private:
  struct Link {  // what a settle needs, also after the source is gone
    std::mutex mutex;
    bool stopped = false;  // under mutex; also read on the ingress thread
    PostgresOutboxSource* source = nullptr;
    boost::asio::any_io_executor executor;
  };
  struct Claim;  // one claim's rows until they are settled (postgres_source.cpp)
  struct Route {
    std::size_t rule;
    GlobPattern topic;
  };

  void connected();
  void disconnected(const std::string& reason);
  void wake();
  void claim();
  void take_rows(pg::PgResult result);
  void settled(const std::shared_ptr<Claim>& claim, std::size_t row, Outcome outcome);
  void finish(std::shared_ptr<Claim> claim);
  // One statement of a claim's end: delete the delivered ids, or move ids aside with `error`.
  struct Write {
    std::string ids;  // an array literal
    std::optional<std::string> error;
  };
  void commit(std::shared_ptr<Claim> claim, std::vector<Write> writes);
  void claim_failed(const std::string& what, const pg::PgResult& result);
  void claim_done(bool more, bool failed_rows);
  void arm_poll(std::chrono::milliseconds after);
  void set_detail(std::string detail);
  bool current(const std::shared_ptr<Claim>& claim) const;

  boost::asio::any_io_executor executor_;
  PostgresSourceOptions options_;
  Handoff& handoff_;
  std::string name_;
  std::string table_sql_;  // the quoted [schema.]name
  std::string select_sql_;
  std::string delete_sql_;
  std::string aside_sql_;
  std::string lock_key_;
  std::shared_ptr<Link> link_ = std::make_shared<Link>();
  std::shared_ptr<pg::PgConnection> connection_;
  std::shared_ptr<OutboxCounters> counters_ = std::make_shared<OutboxCounters>();
  std::vector<Route> routes_;
  boost::asio::steady_timer poll_;
  engine::Backoff backoff_{std::chrono::milliseconds(100), std::chrono::milliseconds(5000)};
  config::RateLimitedLog failure_log_;
  std::uint64_t epoch_ = 0;  // one per connection: a claim of an older one is abandoned
  bool started_ = false;
  bool stopped_ = false;
  bool claiming_ = false;
  bool woken_ = false;      // a NOTIFY (or a wake) came during the claim
  bool listening_ = false;  // LISTEN confirmed on this connection
  std::atomic<bool> up_{false};
  mutable std::mutex detail_mutex_;
  std::string detail_ = "not connected yet";
};

}  // namespace switchboard::ingress
