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
                 IngressSink& sink, std::size_t max_in_flight)
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

std::optional<RejectReason> Handoff::route(std::size_t rule, const IngressMessage& message,
                                           Settle settle) {
  IngressCounters& counters = shared_->counters;
  auto routed = rules_[rule].route(message);
  if (auto* reason = std::get_if<RejectReason>(&routed)) {
    counters.rejected(rule, *reason);
    if (const auto n = shared_->logs[rule]->occurred()) {
      spdlog::warn("ingress rule '{}': a message on '{}' was refused ({}; {} refused or dropped "
                   "since the last report): {}",
                   shared_->names[rule], message.subject, reason_name(*reason), n,
                   excerpt(message.body));
    }
    if (settle) settle(Outcome::rejected);
    return *reason;
  }
  if (!counters.take_in_flight(max_in_flight_)) {
    if (!settle) counters.dropped(rule, DropReason::overloaded);  // else handed over again
    if (const auto n = shared_->logs[rule]->occurred()) {
      spdlog::warn("ingress rule '{}': {} messages in flight to the engine, not taking more ({} "
                   "refused or dropped since the last report)",
                   shared_->names[rule], max_in_flight_, n);
    }
    if (settle) settle(Outcome::failed);
    return std::nullopt;
  }
  auto& delivery = std::get<IngressDelivery>(routed);
  if (rules_[rule].config().batch_interval.count() > 0) {
    batcher_.hold(rule, Batcher::Held{std::move(delivery), std::move(settle)});
  } else {
    hand_over(rule, std::move(delivery), std::move(settle));
  }
  return std::nullopt;
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
