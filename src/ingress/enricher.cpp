#include "enricher.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <map>
#include <set>

#include "field_path.hpp"
#include "pg_array.hpp"
#include "pg_dsn.hpp"
#include "switchboard/config/rate_limited_log.hpp"
#include "switchboard/protocol/json_check.hpp"

namespace switchboard::ingress {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// `body` (a JSON object) with `value` (JSON text) at the dotted `path`, objects made on the way;
// nullopt when a step is not an object.
std::optional<std::string> with_field(std::string_view body, std::string_view path,
                                      std::string_view value) {
  boost::system::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec || !root.is_object()) return std::nullopt;
  json::value parsed = json::parse(value, ec);
  if (ec) return std::nullopt;
  json::object* at = &root.as_object();
  for (;;) {
    const auto dot = path.find('.');
    const std::string_view name = path.substr(0, dot);
    if (dot == std::string_view::npos) {
      (*at)[name] = std::move(parsed);
      return json::serialize(root);
    }
    json::value& next = (*at)[name];
    if (next.is_null()) next = json::object();
    if (!next.is_object()) return std::nullopt;
    at = &next.as_object();
    path.remove_prefix(dot + 1);
  }
}

// A query's value as compact JSON (PostgreSQL's json output has spaces after ':' and ',').
std::optional<std::string> compact(std::string_view value) {
  boost::system::error_code ec;
  json::value parsed = json::parse(value, ec);
  if (ec) return std::nullopt;
  return json::serialize(parsed);
}

}  // namespace

HeldMessage HeldMessage::of(const IngressMessage& m, Settle settle) {
  HeldMessage h;
  h.subject = std::string(m.subject);
  h.pattern = std::string(m.pattern);
  h.body = std::string(m.body);
  h.message_id = std::string(m.message_id);
  h.event = std::string(m.event);
  h.attempt = m.attempt;
  h.settle = std::move(settle);
  return h;
}

IngressMessage HeldMessage::view(std::string_view new_body) const {
  IngressMessage m{subject, pattern, new_body, message_id, event};
  m.attempt = attempt;
  return m;
}

struct Enricher::Rule {
  Rule(asio::any_io_executor executor, config::EnrichConfig c, pg::PgPool& p)
      : config(std::move(c)), pool(p), timer(executor) {}
  config::EnrichConfig config;
  pg::PgPool& pool;
  std::chrono::milliseconds interval{0};
  asio::steady_timer timer;
  std::vector<HeldMessage> held;
  bool querying = false;
  bool scheduled = false;  // a query is posted or its timer runs
  config::RateLimitedLog failure_log;
};

Enricher::Enricher(asio::any_io_executor executor, const std::vector<CompiledRule>& rules,
                   EnrichOptions options, IngressCounters& counters, Finish finish)
    : executor_(executor), compiled_(rules), counters_(counters), finish_(std::move(finish)) {
  std::map<std::string, pg::PgPool*> by_url;
  for (const auto& rule : rules) {
    const auto& e = rule.config().enrich;
    if (!e.enabled()) {
      rules_.push_back(nullptr);
      continue;
    }
    const std::string url = e.url.empty() ? options.postgres_url : e.url;
    auto& pool = by_url[url];
    if (pool == nullptr) {
      pg::PgOptions o;
      o.dsn = url;
      o.statement_timeout = options.statement_timeout;
      o.connect_timeout = options.connect_timeout;
      pools_.push_back(std::make_unique<pg::PgPool>(executor, o, options.pool_size));
      pool = pools_.back().get();
    }
    rules_.push_back(std::make_unique<Rule>(executor, e, *pool));
    rules_.back()->interval = rule.config().batch_interval;
  }
}

Enricher::~Enricher() {
  *alive_ = false;
  for (auto& pool : pools_) pool->stop();
}

void Enricher::start() {
  for (auto& pool : pools_) pool->start();
}

void Enricher::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    if (!rules_[i]) continue;
    rules_[i]->timer.cancel();
    std::vector<HeldMessage> held;
    held.swap(rules_[i]->held);
    for (auto& m : held) finish_(i, m, Done::failed, {}, std::nullopt);
  }
  for (auto& pool : pools_) pool->stop();
}

std::vector<engine::BackendHealth> Enricher::health() const {
  std::vector<engine::BackendHealth> out;
  for (const auto& pool : pools_) {
    const bool up = pool->up();
    out.push_back(engine::BackendHealth{"enrich postgres " + pg::dsn_label(pool->dsn()), up,
                                        up ? std::string() : pool->status()});
  }
  return out;
}

void Enricher::hold(std::size_t rule, HeldMessage message) {
  if (stopped_) {
    finish_(rule, message, Done::failed, {}, std::nullopt);
    return;
  }
  rules_[rule]->held.push_back(std::move(message));
  schedule(rule);
}

void Enricher::schedule(std::size_t rule) {
  Rule& r = *rules_[rule];
  if (r.scheduled || r.querying || r.held.empty()) return;
  r.scheduled = true;
  auto go = [this, rule, alive = alive_] {
    if (!*alive || stopped_) return;
    rules_[rule]->scheduled = false;
    query(rule);
  };
  if (r.interval.count() > 0) {
    // The rule's batch: the first message starts the interval.
    r.timer.expires_after(r.interval);
    r.timer.async_wait([go](boost::system::error_code ec) {
      if (!ec) go();
    });
  } else {
    asio::post(executor_, go);  // what else this loop turn brings joins the batch
  }
}

void Enricher::query(std::size_t rule) {
  Rule& r = *rules_[rule];
  if (r.querying || r.held.empty()) return;
  std::vector<HeldMessage> batch;
  batch.swap(r.held);
  // Each message's key; one that has none is refused now and not queried for.
  std::set<std::string> keys;
  std::vector<HeldMessage> asked;
  for (auto& m : batch) {
    if (protocol::check_json(m.body) != protocol::JsonCheck::valid) {
      finish_(rule, m, Done::rejected, {}, RejectReason::not_json);
      continue;
    }
    auto key = field_text(m.body, r.config.key);
    if (auto* error = std::get_if<FieldError>(&key)) {
      finish_(rule, m, Done::rejected, {},
              *error == FieldError::missing ? RejectReason::missing_field : RejectReason::bad_field);
      continue;
    }
    keys.insert(std::move(std::get<std::string>(key)));
    asked.push_back(std::move(m));
  }
  if (asked.empty()) return;
  r.querying = true;
  r.pool.query(r.config.query, {pg::text_array({keys.begin(), keys.end()})},
               [this, rule, alive = alive_, asked = std::move(asked)](pg::PgResult result) mutable {
                 if (!*alive) return;
                 rules_[rule]->querying = false;
                 answered(rule, std::move(asked), result);
                 if (!stopped_) schedule(rule);  // what came meanwhile
               });
}

void Enricher::answered(std::size_t rule, std::vector<HeldMessage> batch,
                        const pg::PgResult& result) {
  Rule& r = *rules_[rule];
  const bool ok = result.ok && (result.rows.empty() || result.rows.front().size() >= 2);
  counters_.enrich_query(rule, ok);
  if (!ok) {
    const std::string error = result.ok ? "the query must return two columns (key, value)"
                                        : result.error;
    if (const auto n = r.failure_log.occurred()) {
      spdlog::warn("ingress rule '{}': an enrich query failed ({} since the last report), {} "
                   "message(s) to try again: {}",
                   compiled_[rule].name(), n, batch.size(), error);
    }
    for (auto& m : batch) {
      if (m.attempt + 1 >= r.config.max_attempts) {
        finish_(rule, m, Done::rejected, {}, RejectReason::enrich_failed);
      } else {
        finish_(rule, m, Done::failed, {}, std::nullopt);
      }
    }
    return;
  }
  std::map<std::string, std::string, std::less<>> values;  // key → compact JSON
  for (const auto& row : result.rows) {
    if (!row[0] || !row[1]) continue;
    if (auto value = compact(*row[1])) values.emplace(*row[0], std::move(*value));
  }
  for (auto& m : batch) {
    const std::string key = std::get<std::string>(field_text(m.body, r.config.key));
    const auto found = values.find(key);
    counters_.enrich_row(rule, found != values.end());
    if (found == values.end()) {
      if (r.config.deliver_missing) {
        finish_(rule, m, Done::enriched, m.body, std::nullopt);
      } else {
        finish_(rule, m, Done::skipped, {}, std::nullopt);
      }
      continue;
    }
    if (r.config.into.empty()) {
      finish_(rule, m, Done::enriched, found->second, std::nullopt);
      continue;
    }
    if (auto body = with_field(m.body, r.config.into, found->second)) {
      finish_(rule, m, Done::enriched, *body, std::nullopt);
    } else {
      finish_(rule, m, Done::rejected, {}, RejectReason::bad_field);
    }
  }
}

}  // namespace switchboard::ingress
