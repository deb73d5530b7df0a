#pragma once
// Enricher: the messages of a rule with `enrich` (docs/ingress.md, "Enrichment from
// PostgreSQL") completed from PostgreSQL before they are routed — one query per batch, `$1` the
// array of the batch's keys, never one query per message.
//
// A batch is what the rule's batch_interval held (seed 003: 5 s), or, without one, what came
// while the previous query ran (the first message of a quiet rule is queried at once, in the
// next loop turn, with whatever came in the same turn). The query returns rows (key text,
// value json); each message's `key` field (a string or an integer, as templates read it) finds
// its row, and the value becomes the message (`into` empty) or is set at the field path `into`.
// Then:
//   found                   → Done::enriched with the new body (routed as any message);
//   no row, missing = skip  → Done::skipped (consumed: acked, counted);
//   no row, missing = deliver → Done::enriched with the body as it came;
//   no key, not JSON, `into` through a non-object → Done::rejected with the reason;
//   the query failed (PostgreSQL down, statement timeout, an SQL error) → Done::failed (a
//     RabbitMQ message stays unacknowledged and comes again), or, on the message's
//     enrich.max_attempts-th failure, Done::rejected (enrich_failed: dead-lettered).
// A query runs on the pool of its server (postgres_pool_size sessions, libpq's asynchronous API
// on this thread); the statement timeout is the pool's.
//
// Thread safety: one thread, the executor's (the ingress thread).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiled_rule.hpp"
#include "ingress_counters.hpp"
#include "ingress_source.hpp"
#include "pg_pool.hpp"

namespace switchboard::ingress {

// A message held until its batch's query answers: owned copies of what the source gave.
struct HeldMessage {
  std::string subject, pattern, body, message_id, event;
  unsigned attempt = 0;
  Settle settle;

  static HeldMessage of(const IngressMessage& m, Settle settle);
  IngressMessage view(std::string_view new_body) const;
};

// The PostgreSQL side of the enrich queries (from the configuration).
struct EnrichOptions {
  std::string postgres_url;  // a rule's enrich.url overrides it
  std::size_t pool_size = 2;
  std::chrono::milliseconds statement_timeout{5000};
  std::chrono::milliseconds connect_timeout{5000};
};

class Enricher {
 public:
  enum class Done : std::uint8_t { enriched, skipped, rejected, failed };
  // What became of one held message: `body` with enriched, `reason` with rejected.
  using Finish = std::function<void(std::size_t rule, HeldMessage& message, Done done,
                                    std::string_view body, std::optional<RejectReason> reason)>;

  Enricher(boost::asio::any_io_executor executor, const std::vector<CompiledRule>& rules,
           EnrichOptions options, IngressCounters& counters, Finish finish);
  ~Enricher();

  bool enriches(std::size_t rule) const noexcept { return rules_[rule] != nullptr; }
  void start();  // connects the pools
  // `message` waits for its batch's query.
  void hold(std::size_t rule, HeldMessage message);
  // Every held message finishes as failed (stop: RabbitMQ requeues them), the pools close.
  void stop();
  // "enrich postgres <host:port/db>" sessions, for /health: up when any session is.
  std::vector<engine::BackendHealth> health() const;

 private:
  struct Rule;
  void schedule(std::size_t rule);
  void query(std::size_t rule);
  void answered(std::size_t rule, std::vector<HeldMessage> batch, const pg::PgResult& result);

  boost::asio::any_io_executor executor_;
  const std::vector<CompiledRule>& compiled_;
  IngressCounters& counters_;
  Finish finish_;
  std::vector<std::unique_ptr<Rule>> rules_;  // nullptr: the rule does not enrich
  std::vector<std::unique_ptr<pg::PgPool>> pools_;  // one per server
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool stopped_ = false;
};

}  // namespace switchboard::ingress
