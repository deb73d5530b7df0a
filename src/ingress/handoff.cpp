#include "handoff.hpp"

#include <spdlog/spdlog.h>

#include "switchboard/engine/error.hpp"

namespace switchboard::ingress {
namespace {

std::vector<std::string> names_of(const std::vector<CompiledRule>& rules) {
  std::vector<std::string> names;
  for (const auto& r : rules) names.push_back(r.name());
  return names;
}

// The first 200 bytes of a message for a log line, control characters escaped.
std::string excerpt(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, 200)) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[(c >> 4) & 15];
      out += kHex[c & 15];
    } else {
      out += c;
    }
  }
  if (body.size() > 200) out += "…";
  return out;
}

std::vector<std::chrono::milliseconds> intervals_of(const std::vector<CompiledRule>& rules) {
  std::vector<std::chrono::milliseconds> intervals;
  for (const auto& r : rules) intervals.push_back(r.config().batch_interval);
  return intervals;
}

}  // namespace

Handoff::Handoff(boost::asio::any_io_executor executor, const std::vector<CompiledRule>& rules,
                 IngressSink& sink, std::size_t max_in_flight, EnrichOptions enrich)
    : rules_(rules),
      sink_(sink),
      max_in_flight_(max_in_flight),
      shared_(std::make_shared<Shared>(names_of(rules))),
      batcher_(executor, intervals_of(rules),
               [this](std::size_t rule, std::vector<Batcher::Held> batch) {
                 shared_->counters.batch(rule);
                 for (auto& held : batch) {
                   hand_over(rule, std::move(held.delivery), std::move(held.settle));
                 }
               }) {
  for (std::size_t i = 0; i < rules.size(); ++i) {
    shared_->logs.push_back(std::make_unique<config::RateLimitedLog>());
  }
  bool enriching = false;
  for (const auto& r : rules) enriching = enriching || r.config().enrich.enabled();
  if (enriching) {
    enricher_ = std::make_unique<Enricher>(
        executor, rules, std::move(enrich), shared_->counters,
        [this](std::size_t rule, HeldMessage& m, Enricher::Done done, std::string_view body,
               std::optional<RejectReason> reason) {
          finish_enrichment(rule, m, done, body, reason);
        });
  }
}

Handoff::~Handoff() = default;

void Handoff::start() {
  if (enricher_) enricher_->start();
}

void Handoff::flush() {
  batcher_.flush();
  if (enricher_) enricher_->stop();
}

std::vector<engine::BackendHealth> Handoff::enrich_health() const {
  return enricher_ ? enricher_->health() : std::vector<engine::BackendHealth>{};
}

std::optional<RejectReason> Handoff::take(std::size_t rule, const IngressMessage& message,
                                          Settle settle) {
  shared_->counters.received(rule);
  return route(rule, message, std::move(settle));
}

std::optional<RejectReason> Handoff::retry(std::size_t rule, const IngressMessage& message,
                                           Settle settle) {
  shared_->counters.retried(rule);
  return route(rule, message, std::move(settle));
}

void Handoff::refused(std::size_t rule, RejectReason reason, const IngressMessage& message) {
  shared_->counters.rejected(rule, reason);
  if (const auto n = shared_->logs[rule]->occurred()) {
    spdlog::warn("ingress rule '{}': a message on '{}' was refused ({}; {} refused or dropped "
                 "since the last report): {}",
                 shared_->names[rule], message.subject, reason_name(reason), n,
                 excerpt(message.body));
  }
}

void Handoff::overloaded(std::size_t rule, const Settle& settle) {
  if (!settle) shared_->counters.dropped(rule, DropReason::overloaded);  // else handed over again
  if (const auto n = shared_->logs[rule]->occurred()) {
    spdlog::warn("ingress rule '{}': {} messages in flight to the engine, not taking more ({} "
                 "refused or dropped since the last report)",
                 shared_->names[rule], max_in_flight_, n);
  }
  if (settle) settle(Outcome::failed);
}

std::optional<RejectReason> Handoff::route(std::size_t rule, const IngressMessage& message,
                                           Settle settle, bool enriched) {
  IngressCounters& counters = shared_->counters;
  if (!enriched && enricher_ && enricher_->enriches(rule)) {
    // Held, with its in-flight slot, until its batch's query answers (finish_enrichment).
    if (!counters.take_in_flight(max_in_flight_)) {
      overloaded(rule, settle);
      return std::nullopt;
    }
    enricher_->hold(rule, HeldMessage::of(message, std::move(settle)));
    return std::nullopt;
  }
  auto routed = rules_[rule].route(message);
  if (auto* reason = std::get_if<RejectReason>(&routed)) {
    if (enriched) counters.release_in_flight();
    refused(rule, *reason, message);
    if (settle) settle(Outcome::rejected);
    return *reason;
  }
  if (!enriched && !counters.take_in_flight(max_in_flight_)) {
    overloaded(rule, settle);
    return std::nullopt;
  }
  auto& delivery = std::get<IngressDelivery>(routed);
  if (rules_[rule].config().batch_interval.count() > 0 && !enriched) {
    batcher_.hold(rule, Batcher::Held{std::move(delivery), std::move(settle)});
  } else {
    hand_over(rule, std::move(delivery), std::move(settle));
  }
  return std::nullopt;
}

void Handoff::finish_enrichment(std::size_t rule, HeldMessage& message, Enricher::Done done,
                                std::string_view body, std::optional<RejectReason> reason) {
  IngressCounters& counters = shared_->counters;
  switch (done) {
    case Enricher::Done::enriched:
      route(rule, message.view(body), std::move(message.settle), /*enriched=*/true);
      return;
    case Enricher::Done::skipped:  // no row, missing = "skip": consumed
      counters.release_in_flight();
      if (message.settle) message.settle(Outcome::delivered);
      return;
    case Enricher::Done::rejected:
      counters.release_in_flight();
      refused(rule, reason.value_or(RejectReason::enrich_failed), message.view(message.body));
      if (message.settle) message.settle(Outcome::rejected);
      return;
    case Enricher::Done::failed:
      counters.release_in_flight();
      if (message.settle) {
        message.settle(Outcome::failed);  // RabbitMQ: kept, handed over again
      } else {
        counters.dropped(rule, DropReason::enrich_failed);
      }
      return;
  }
}

void Handoff::hand_over(std::size_t rule, IngressDelivery delivery, Settle settle) {
  sink_.deliver(std::move(delivery),
                [shared = shared_, rule, settle = std::move(settle)](std::error_code ec,
                                                                     bool duplicate) {
                  IngressCounters& c = shared->counters;
                  c.release_in_flight();
                  if (!ec) {
                    duplicate ? c.deduplicated(rule) : c.delivered(rule);
                    if (settle) settle(Outcome::delivered);
                    return;
                  }
                  if (ec == IngressErrc::bad_target) {
                    c.rejected(rule, RejectReason::bad_target);
                    if (settle) settle(Outcome::rejected);
                  } else {
                    // A source that acknowledges hands it over again: counted as dropped only
                    // by a source that cannot (Redis).
                    if (settle) {
                      settle(Outcome::failed);
                    } else {
                      c.dropped(rule, DropReason::publish_failed);
                    }
                  }
                  if (const auto n = shared->logs[rule]->occurred()) {
                    spdlog::warn("ingress rule '{}': a message was not delivered ({}; {} refused "
                                 "or dropped since the last report)",
                                 shared->names[rule], ec.message(), n);
                  }
                });
}

}  // namespace switchboard::ingress
