#include "ingress_counters.hpp"

namespace switchboard::ingress {

using Type = engine::MetricsSink::Type;

std::string_view reason_name(DropReason reason) noexcept {
  switch (reason) {
    case DropReason::publish_failed: return "publish_failed";
    case DropReason::overloaded: return "overloaded";
    case DropReason::enrich_failed: return "enrich_failed";
  }
  return "unknown";
}

IngressCounters::IngressCounters(std::vector<std::string> rule_names) {
  for (auto& name : rule_names) {
    rules_.push_back(std::make_unique<Rule>());
    rules_.back()->name = std::move(name);
  }
}

bool IngressCounters::take_in_flight(std::size_t limit) noexcept {
  std::uint64_t now = in_flight_.load(std::memory_order_relaxed);
  do {
    if (now >= limit) return false;
  } while (!in_flight_.compare_exchange_weak(now, now + 1, std::memory_order_relaxed));
  return true;
}

IngressCounters::RuleSnapshot IngressCounters::rule(std::size_t index) const noexcept {
  const Rule& r = *rules_[index];
  RuleSnapshot s;
  s.received = r.received.load(std::memory_order_relaxed);
  s.delivered = r.delivered.load(std::memory_order_relaxed);
  s.deduplicated = r.deduplicated.load(std::memory_order_relaxed);
  s.batches = r.batches.load(std::memory_order_relaxed);
  s.retries = r.retries.load(std::memory_order_relaxed);
  s.queries_ok = r.queries_ok.load(std::memory_order_relaxed);
  s.queries_failed = r.queries_failed.load(std::memory_order_relaxed);
  s.rows_found = r.rows_found.load(std::memory_order_relaxed);
  s.rows_missing = r.rows_missing.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < kRejectReasons; ++i) {
    s.rejected[i] = r.rejected[i].load(std::memory_order_relaxed);
  }
  for (std::size_t i = 0; i < kDropReasons; ++i) {
    s.dropped[i] = r.dropped[i].load(std::memory_order_relaxed);
  }
  return s;
}

void IngressCounters::write_metrics(engine::MetricsSink& sink) const {
  if (rules_.empty()) return;
  std::vector<RuleSnapshot> snaps;
  for (std::size_t i = 0; i < rules_.size(); ++i) snaps.push_back(rule(i));
  auto per_rule = [&](std::string_view family, std::string_view help, auto value) {
    sink.family(family, Type::counter, help);
    for (std::size_t i = 0; i < rules_.size(); ++i) {
      sink.sample(family, value(snaps[i]), {{"rule", rules_[i]->name}});
    }
  };
  per_rule("switchboard_ingress_received_total", "Broker messages a rule received.",
           [](const RuleSnapshot& s) { return s.received; });
  per_rule("switchboard_ingress_delivered_total",
           "Broker messages the engine took for delivery (duplicates not included).",
           [](const RuleSnapshot& s) { return s.delivered; });
  per_rule("switchboard_ingress_deduplicated_total",
           "Broker messages another node had published already (same idempotency key).",
           [](const RuleSnapshot& s) { return s.deduplicated; });
  per_rule("switchboard_ingress_batches_total",
           "Batches a rule with a batch_interval handed over.",
           [](const RuleSnapshot& s) { return s.batches; });
  per_rule("switchboard_ingress_retries_total",
           "Messages of a rule handed to the engine again after it failed to take them "
           "(RabbitMQ: kept unacknowledged, retried with backoff).",
           [](const RuleSnapshot& s) { return s.retries; });
  // A family with a rule and a `label`: `count(snapshot, r)` for each of `values`.
  auto per_label = [&](std::string_view family, std::string_view help, std::string_view label,
                       std::size_t values, auto count, auto name) {
    sink.family(family, Type::counter, help);
    for (std::size_t i = 0; i < rules_.size(); ++i) {
      for (std::size_t r = 0; r < values; ++r) {
        sink.sample(family, count(snaps[i], r), {{"rule", rules_[i]->name}, {label, name(r)}});
      }
    }
  };
  auto per_reason = [&](std::string_view family, std::string_view help, std::size_t reasons,
                        auto count, auto name) {
    per_label(family, help, "reason", reasons, count, name);
  };
  per_label(
      "switchboard_ingress_enrich_queries_total",
      "Enrich queries of a rule (one per batch): answered (ok) or failed (PostgreSQL down, a "
      "timeout, an error).",
      "result", 2,
      [](const RuleSnapshot& s, std::size_t r) { return r == 0 ? s.queries_ok : s.queries_failed; },
      [](std::size_t r) { return r == 0 ? "ok" : "failed"; });
  per_label(
      "switchboard_ingress_enrich_rows_total",
      "Messages of a rule's enrich queries: found in the answer, or missing from it (skipped, "
      "or delivered as they came with missing = \"deliver\").",
      "result", 2,
      [](const RuleSnapshot& s, std::size_t r) { return r == 0 ? s.rows_found : s.rows_missing; },
      [](std::size_t r) { return r == 0 ? "found" : "missing"; });
  per_reason(
      "switchboard_ingress_rejected_total", "Broker messages refused by a rule, by reason.",
      kRejectReasons, [](const RuleSnapshot& s, std::size_t r) { return s.rejected[r]; },
      [](std::size_t r) { return reason_name(static_cast<RejectReason>(r)); });
  per_reason(
      "switchboard_ingress_dropped_total",
      "Routed broker messages lost, by reason (at most once: Redis Pub/Sub).", kDropReasons,
      [](const RuleSnapshot& s, std::size_t r) { return s.dropped[r]; },
      [](std::size_t r) { return reason_name(static_cast<DropReason>(r)); });
  sink.family("switchboard_ingress_in_flight", Type::gauge,
              "Broker messages handed to the engine and not yet completed.");
  sink.sample("switchboard_ingress_in_flight", in_flight(), {});
}

}  // namespace switchboard::ingress
