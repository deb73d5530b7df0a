#pragma once
// What the ingress counts, per rule, for /metrics (switchboard_ingress_*, docs/ingress.md):
// written by the ingress thread (received, rejected, overloaded) and by the engine's threads
// (the completions: delivered, deduplicated, publish_failed), read by /metrics.
//
// Thread safety: every counter is an atomic; any thread.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compiled_rule.hpp"
#include "switchboard/engine/metrics_sink.hpp"

namespace switchboard::ingress {

// At-most-once losses after a message was routed.
enum class DropReason : std::uint8_t {
  publish_failed,  // the engine refused it (down, timeout, too many in flight)
  overloaded,      // ingress_max_in_flight handed over and not completed
  enrich_failed,   // its enrich query failed (PostgreSQL down, a timeout, an error)
};
inline constexpr std::size_t kDropReasons = 3;

class IngressCounters {
 public:
  explicit IngressCounters(std::vector<std::string> rule_names);

  void received(std::size_t rule) noexcept { add(rules_[rule]->received); }
  void delivered(std::size_t rule) noexcept { add(rules_[rule]->delivered); }
  void deduplicated(std::size_t rule) noexcept { add(rules_[rule]->deduplicated); }
  void batch(std::size_t rule) noexcept { add(rules_[rule]->batches); }
  void retried(std::size_t rule) noexcept { add(rules_[rule]->retries); }
  // An enrich query of the rule answered (ok) or failed; a message found in its answer or not.
  void enrich_query(std::size_t rule, bool ok) noexcept {
    add(ok ? rules_[rule]->queries_ok : rules_[rule]->queries_failed);
  }
  void enrich_row(std::size_t rule, bool found) noexcept {
    add(found ? rules_[rule]->rows_found : rules_[rule]->rows_missing);
  }
  void rejected(std::size_t rule, RejectReason r) noexcept {
    add(rules_[rule]->rejected[static_cast<std::size_t>(r)]);
  }
  void dropped(std::size_t rule, DropReason r) noexcept {
    add(rules_[rule]->dropped[static_cast<std::size_t>(r)]);
  }
  // Handed to the sink and not completed: taken before the hand-over, given back after.
  bool take_in_flight(std::size_t limit) noexcept;
  void release_in_flight() noexcept { in_flight_.fetch_sub(1, std::memory_order_relaxed); }
  std::uint64_t in_flight() const noexcept { return in_flight_.load(std::memory_order_relaxed); }

  struct RuleSnapshot {
    std::uint64_t received = 0, delivered = 0, deduplicated = 0, batches = 0, retries = 0;
    std::uint64_t queries_ok = 0, queries_failed = 0, rows_found = 0, rows_missing = 0;
    std::array<std::uint64_t, kRejectReasons> rejected{};
    std::array<std::uint64_t, kDropReasons> dropped{};
  };
  RuleSnapshot rule(std::size_t index) const noexcept;
  std::size_t rules() const noexcept { return rules_.size(); }

  // The per-rule families (the sources write their own connection families).
  void write_metrics(engine::MetricsSink& sink) const;

 private:
  using Counter = std::atomic<std::uint64_t>;
  static void add(Counter& c) noexcept { c.fetch_add(1, std::memory_order_relaxed); }
  struct Rule {
    std::string name;
    Counter received{0}, delivered{0}, deduplicated{0}, batches{0}, retries{0};
    Counter queries_ok{0}, queries_failed{0}, rows_found{0}, rows_missing{0};
    std::array<Counter, kRejectReasons> rejected{};
    std::array<Counter, kDropReasons> dropped{};
  };
  std::vector<std::unique_ptr<Rule>> rules_;
  std::atomic<std::uint64_t> in_flight_{0};
};

std::string_view reason_name(DropReason reason) noexcept;

}  // namespace switchboard::ingress
