#pragma once
// Handoff: from a source's message to the node. Routes it by its rule, counts the outcome,
// bounds what is in flight (ingress_max_in_flight: held in a batch counts too), holds a
// batched rule's deliveries for its batch_interval (batcher.hpp) and hands each to the
// IngressSink;
// the sink's completion counts delivered, deduplicated or dropped. Rejections and drops are
// logged at most once a second per rule, with the count and the start of one message.
//
// Thread safety: take() and flush() on the sources' thread, the executor's (batch timers run
// there); completions on any thread (they touch only the shared counters and logs, so they
// may outlive the Handoff).
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "batcher.hpp"
#include "compiled_rule.hpp"
#include "enricher.hpp"
#include "ingress_source.hpp"
#include "ingress_counters.hpp"
#include "switchboard/config/rate_limited_log.hpp"
#include "switchboard/ingress/ingress_sink.hpp"

namespace switchboard::ingress {

class Handoff {
 public:
  // `enrich`: where the rules with `enrich` query (none: no PostgreSQL session is made).
  Handoff(boost::asio::any_io_executor executor, const std::vector<CompiledRule>& rules,
          IngressSink& sink, std::size_t max_in_flight, EnrichOptions enrich = {});
  ~Handoff();

  // Connects the enrich sessions (the sources connect themselves).
  void start();

  // `settle` may be empty (Redis Pub/Sub: at most once, nothing to acknowledge). Returns why
  // the rule refused the message when it did so at once (settle was called with rejected);
  // the outbox writes it beside the row.
  std::optional<RejectReason> take(std::size_t rule, const IngressMessage& message,
                                   Settle settle = {});
  // The same for a message handed over again after it failed (counted as a retry, not as
  // received twice).
  std::optional<RejectReason> retry(std::size_t rule, const IngressMessage& message,
                                    Settle settle);
  // Hands over every held batch now (before stopping); messages waiting for an enrich query
  // fail (RabbitMQ requeues them).
  void flush();
  // The enrich sessions' health, one per PostgreSQL server.
  std::vector<engine::BackendHealth> enrich_health() const;
  const IngressCounters& counters() const noexcept { return shared_->counters; }

 private:
  // What a completion may need after the Handoff is gone.
  struct Shared {
    explicit Shared(std::vector<std::string> rule_names)
        : counters(rule_names), names(std::move(rule_names)) {}
    IngressCounters counters;
    std::vector<std::unique_ptr<config::RateLimitedLog>> logs;  // one per rule
    std::vector<std::string> names;
  };
  // `enriched`: from the Enricher, which batched it and holds its in-flight slot already.
  std::optional<RejectReason> route(std::size_t rule, const IngressMessage& message,
                                    Settle settle, bool enriched = false);
  void refused(std::size_t rule, RejectReason reason, const IngressMessage& message);
  void overloaded(std::size_t rule, const Settle& settle);
  void finish_enrichment(std::size_t rule, HeldMessage& message, Enricher::Done done,
                         std::string_view body, std::optional<RejectReason> reason);
  void hand_over(std::size_t rule, IngressDelivery delivery, Settle settle);

  const std::vector<CompiledRule>& rules_;
  IngressSink& sink_;
  std::size_t max_in_flight_;
  std::shared_ptr<Shared> shared_;
  Batcher batcher_;
  std::unique_ptr<Enricher> enricher_;  // when a rule enriches
};

}  // namespace switchboard::ingress
