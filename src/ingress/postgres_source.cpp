#include "postgres_source.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <map>
#include <stdexcept>

#include "pg_array.hpp"
#include "pg_dsn.hpp"

namespace switchboard::ingress {

namespace asio = boost::asio;

namespace {

// "name" with its quotes doubled: any column or table name is safe in the statements.
std::string quoted(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string quoted_table(const std::string& table) {
  const auto dot = table.find('.');
  if (dot == std::string::npos) return quoted(table);
  return quoted(table.substr(0, dot)) + "." + quoted(table.substr(dot + 1));
}

}  // namespace

void write_outbox_metrics(engine::MetricsSink& sink,
                          const std::vector<const PostgresOutboxSource*>& sources) {
  if (sources.empty()) return;
  using Counter = std::atomic<std::uint64_t> OutboxCounters::*;
  const auto family = [&](std::string_view name, std::string_view help, std::string_view label,
                          std::initializer_list<std::pair<std::string_view, Counter>> values) {
    sink.family(name, engine::MetricsSink::Type::counter, help);
    for (const auto* source : sources) {
      for (const auto& [value, counter] : values) {
        sink.sample(name, (source->counters().*counter).load(std::memory_order_relaxed),
                    {{"source", source->name()}, {label, value}});
      }
    }
  };
  family("switchboard_ingress_outbox_rows_total",
         "Outbox rows a claim ended: delivered (deleted after the publish), moved_aside "
         "(failed_at and error set: no rule, refused, NULL topic or payload), returned (left for "
         "a later claim: the engine did not take it, or the claim was rolled back).",
         "outcome",
         {{"delivered", &OutboxCounters::delivered},
          {"moved_aside", &OutboxCounters::moved_aside},
          {"returned", &OutboxCounters::returned}});
  family("switchboard_ingress_outbox_claims_total",
         "Outbox claims (transactions): rows (committed with rows), empty (none waiting), busy "
         "(another node held the table's claim), failed (a statement failed: rolled back).",
         "result",
         {{"rows", &OutboxCounters::claims},
          {"empty", &OutboxCounters::empty_claims},
          {"busy", &OutboxCounters::busy_claims},
          {"failed", &OutboxCounters::failed_claims}});
}

// One row of a claim, and what became of it.
struct PostgresOutboxSource::Claim {
  enum class State : std::uint8_t { pending, delivered, aside, failed };
  struct Row {
    std::string id;
    State state = State::pending;
    std::string error;  // why it is moved aside
  };
  std::uint64_t epoch = 0;
  std::vector<Row> rows;
  std::size_t pending = 0;  // rows handed over and not settled yet
  bool full = false;        // the batch was full: more rows may wait
};

PostgresOutboxSource::PostgresOutboxSource(asio::any_io_executor executor,
                                           PostgresSourceOptions options, Handoff& handoff)
    : executor_(executor),
      options_(std::move(options)),
      handoff_(handoff),
      name_("ingress postgres " + pg::dsn_label(options_.connection.dsn) + " " + options_.table),
      table_sql_(quoted_table(options_.table)),
      lock_key_("switchboard outbox " + options_.table),
      poll_(executor) {
  const config::OutboxColumns& c = options_.columns;
  select_sql_ = "SELECT " + quoted(c.id) + ", " + quoted(c.topic) + ", " +
                (c.event.empty() ? std::string("NULL") : quoted(c.event)) + ", " +
                quoted(c.payload) + "::text FROM " + table_sql_ + " WHERE " + quoted(c.failed_at) +
                " IS NULL ORDER BY " + quoted(c.id) + " LIMIT " + std::to_string(options_.batch) +
                " FOR UPDATE SKIP LOCKED";
  delete_sql_ = "DELETE FROM " + table_sql_ + " WHERE " + quoted(c.id) + " = ANY($1)";
  aside_sql_ = "UPDATE " + table_sql_ + " SET " + quoted(c.failed_at) + " = now(), " +
               quoted(c.error) + " = $2 WHERE " + quoted(c.id) + " = ANY($1)";
  link_->source = this;
  link_->executor = executor;
  connection_ = pg::PgConnection::create(executor, options_.connection);
  connection_->on_up([this] { connected(); });
  connection_->on_down([this](const std::string& reason) { disconnected(reason); });
  connection_->on_notify([this](const std::string& channel, const std::string&) {
    if (channel == options_.notify) wake();
  });
}

PostgresOutboxSource::~PostgresOutboxSource() { stop(); }

void PostgresOutboxSource::add(std::size_t rule, const std::vector<std::string>& topics) {
  for (const auto& text : topics) {
    std::string error;
    auto pattern = GlobPattern::parse(text, error);
    if (!pattern) throw std::invalid_argument("outbox topic '" + text + "': " + error);
    routes_.push_back(Route{rule, std::move(*pattern)});
  }
}

void PostgresOutboxSource::start() {
  if (started_ || stopped_) return;
  started_ = true;
  connection_->start();
  arm_poll(options_.poll_interval);
}

void PostgresOutboxSource::stop() {
  {
    std::lock_guard lock(link_->mutex);
    if (link_->stopped) return;
    link_->stopped = true;
  }
  stopped_ = true;
  poll_.cancel();
  // An open claim is rolled back by the server when the session closes: its rows stay.
  connection_->stop();
  up_.store(false, std::memory_order_relaxed);
}

engine::BackendHealth PostgresOutboxSource::health() const {
  std::lock_guard lock(detail_mutex_);
  const bool is_up = up();
  return engine::BackendHealth{name_, is_up, is_up ? std::string() : detail_};
}

void PostgresOutboxSource::set_detail(std::string detail) {
  std::lock_guard lock(detail_mutex_);
  detail_ = std::move(detail);
}

void PostgresOutboxSource::connected() {
  ++epoch_;
  listening_ = false;
  claiming_ = false;
  set_detail("LISTEN " + options_.notify + " not confirmed yet");
  // A NOTIFY sent while we were away is lost: the claim right after LISTEN covers it.
  connection_->query("LISTEN " + quoted(options_.notify), {},
                     [this, epoch = epoch_](pg::PgResult r) {
                       if (stopped_ || epoch != epoch_) return;
                       if (!r.ok) {
                         set_detail("LISTEN " + options_.notify + " failed: " + r.error);
                         return;  // the connection is likely gone; the poll claims meanwhile
                       }
                       listening_ = true;
                       claim();
                     });
}

void PostgresOutboxSource::disconnected(const std::string& reason) {
  ++epoch_;  // the open claim is abandoned: PostgreSQL rolled it back
  listening_ = false;
  claiming_ = false;
  up_.store(false, std::memory_order_relaxed);
  set_detail(reason);
}

void PostgresOutboxSource::wake() {
  if (claiming_) {
    woken_ = true;  // claimed again once this one commits
    return;
  }
  claim();
}

void PostgresOutboxSource::arm_poll(std::chrono::milliseconds after) {
  if (stopped_) return;
  poll_.expires_after(after);
  poll_.async_wait([this, link = link_](boost::system::error_code ec) {
    if (ec || link->stopped) return;
    arm_poll(options_.poll_interval);
    if (!claiming_) claim();
  });
}

bool PostgresOutboxSource::current(const std::shared_ptr<Claim>& claim) const {
  return !stopped_ && claim->epoch == epoch_;
}

void PostgresOutboxSource::claim() {
  if (stopped_ || claiming_ || !connection_->up()) return;
  claiming_ = true;
  woken_ = false;
  const std::uint64_t epoch = epoch_;
  connection_->query("BEGIN", {}, [this, epoch](pg::PgResult r) {
    if (stopped_ || epoch != epoch_) return;
    if (!r.ok) return claim_failed("BEGIN", r);
    connection_->query(
        "SELECT pg_try_advisory_xact_lock(hashtext($1))", {lock_key_},
        [this, epoch](pg::PgResult lock) {
          if (stopped_ || epoch != epoch_) return;
          if (!lock.ok || lock.rows.empty()) return claim_failed("the claim's lock", lock);
          if (lock.rows[0][0].value_or("f") != "t") {
            // Another node is claiming: its rows come first, ours after its commit (its
            // NOTIFYs woke us; the poll is the fallback).
            counters_->busy_claims.fetch_add(1, std::memory_order_relaxed);
            connection_->query("ROLLBACK", {}, [this, epoch](pg::PgResult) {
              if (stopped_ || epoch != epoch_) return;
              claim_done(false, false);
            });
            return;
          }
          connection_->query(select_sql_, {}, [this, epoch](pg::PgResult rows) {
            if (stopped_ || epoch != epoch_) return;
            if (!rows.ok) return claim_failed("SELECT", rows);
            take_rows(std::move(rows));
          });
        });
  });
}

void PostgresOutboxSource::take_rows(pg::PgResult result) {
  auto claim = std::make_shared<Claim>();
  claim->epoch = epoch_;
  claim->full = result.rows.size() >= options_.batch;
  claim->rows.resize(result.rows.size());
  // Every row first gets its state, then the hand-overs: a settle that comes inline must find
  // the claim complete.
  for (std::size_t i = 0; i < result.rows.size(); ++i) {
    auto& row = claim->rows[i];
    const auto& values = result.rows[i];
    row.id = values[0].value_or("");
    if (!values[1]) {
      row.state = Claim::State::aside;
      row.error = "the topic is NULL";
    } else if (!values[3]) {
      row.state = Claim::State::aside;
      row.error = "the payload is NULL";
    }
  }
  for (std::size_t i = 0; i < result.rows.size(); ++i) {
    auto& row = claim->rows[i];
    if (row.state != Claim::State::pending) continue;
    const auto& values = result.rows[i];
    const std::string& topic = *values[1];
    const Route* route = nullptr;
    for (const auto& r : routes_) {
      if (r.topic.match(topic)) {
        route = &r;
        break;
      }
    }
    if (route == nullptr) {
      row.state = Claim::State::aside;
      row.error = "no ingress rule takes topic '" + topic + "'";
      continue;
    }
    ++claim->pending;
    const IngressMessage message{topic, route->topic.text(), *values[3], row.id,
                                 values[2] ? std::string_view(*values[2]) : std::string_view()};
    Settle settle = [link = link_, claim, i](Outcome outcome) {
      std::lock_guard lock(link->mutex);
      if (link->stopped) return;  // rolled back when the session closed: the rows stay
      asio::post(link->executor, [link, claim, i, outcome] {
        if (!link->stopped) link->source->settled(claim, i, outcome);
      });
    };
    if (auto reason = handoff_.take(route->rule, message, std::move(settle))) {
      row.error = "refused by its ingress rule: " + std::string(reason_name(*reason));
    }
  }
  if (claim->pending == 0) finish(std::move(claim));
}

void PostgresOutboxSource::settled(const std::shared_ptr<Claim>& claim, std::size_t row,
                                   Outcome outcome) {
  auto& r = claim->rows[row];
  switch (outcome) {
    case Outcome::delivered: r.state = Claim::State::delivered; break;
    case Outcome::rejected:
      r.state = Claim::State::aside;
      if (r.error.empty()) r.error = "refused by its ingress rule or the node (see the log)";
      break;
    case Outcome::failed: r.state = Claim::State::failed; break;
  }
  if (--claim->pending == 0) finish(claim);
}

void PostgresOutboxSource::finish(std::shared_ptr<Claim> claim) {
  if (!current(claim)) {
    // The session was lost during the claim: PostgreSQL rolled it back, the rows are there
    // for the next claim (the delivered ones again: the row id makes the repeat one).
    counters_->returned.fetch_add(claim->rows.size(), std::memory_order_relaxed);
    return;
  }
  std::vector<std::string> delivered;
  std::map<std::string, std::vector<std::string>> aside;  // error → ids
  for (const auto& row : claim->rows) {
    if (row.state == Claim::State::delivered) delivered.push_back(row.id);
    if (row.state == Claim::State::aside) aside[row.error].push_back(row.id);
  }
  std::vector<Write> writes;
  if (!delivered.empty()) writes.push_back(Write{pg::text_array(delivered), std::nullopt});
  for (const auto& [error, ids] : aside) writes.push_back(Write{pg::text_array(ids), error});
  commit(std::move(claim), std::move(writes));
}

void PostgresOutboxSource::commit(std::shared_ptr<Claim> claim, std::vector<Write> writes) {
  if (writes.empty()) {
    connection_->query("COMMIT", {}, [this, claim](pg::PgResult r) {
      if (!current(claim)) return;
      if (!r.ok) return claim_failed("COMMIT", r);
      std::size_t delivered = 0, aside = 0, failed = 0;
      for (const auto& row : claim->rows) {
        delivered += row.state == Claim::State::delivered;
        aside += row.state == Claim::State::aside;
        failed += row.state == Claim::State::failed;
      }
      if (claim->rows.empty()) {
        counters_->empty_claims.fetch_add(1, std::memory_order_relaxed);
      } else {
        counters_->claims.fetch_add(1, std::memory_order_relaxed);
      }
      counters_->delivered.fetch_add(delivered, std::memory_order_relaxed);
      counters_->moved_aside.fetch_add(aside, std::memory_order_relaxed);
      counters_->returned.fetch_add(failed, std::memory_order_relaxed);
      if (aside > 0) {
        if (const auto n = failure_log_.occurred()) {
          for (const auto& row : claim->rows) {
            if (row.state != Claim::State::aside) continue;
            spdlog::warn("{}: {} row(s) moved aside (failed_at and error set; {} claim(s) with "
                         "such rows since the last report), e.g. id {}: {}",
                         name_, aside, n, row.id, row.error);
            break;
          }
        }
      }
      claim_done(claim->full, failed > 0);
    });
    return;
  }
  Write write = std::move(writes.back());
  writes.pop_back();
  const bool remove = !write.error;
  pg::PgParams params = remove ? pg::PgParams{std::move(write.ids)}
                               : pg::PgParams{std::move(write.ids), std::move(write.error)};
  connection_->query(remove ? delete_sql_ : aside_sql_, std::move(params),
                     [this, claim, writes = std::move(writes)](pg::PgResult r) mutable {
                       if (!current(claim)) return;
                       if (!r.ok) return claim_failed("DELETE/UPDATE", r);
                       commit(std::move(claim), std::move(writes));
                     });
}

void PostgresOutboxSource::claim_failed(const std::string& what, const pg::PgResult& result) {
  counters_->failed_claims.fetch_add(1, std::memory_order_relaxed);
  up_.store(false, std::memory_order_relaxed);
  set_detail("claim failed (" + what + "): " + result.error);
  if (const auto n = failure_log_.occurred()) {
    spdlog::warn("{}: a claim failed at {} ({} since the last report): {}", name_, what, n,
                 result.error);
  }
  const std::uint64_t epoch = epoch_;
  // Rolled back (or the session is gone, and with it the transaction): the rows stay.
  connection_->query("ROLLBACK", {}, [this, epoch](pg::PgResult) {
    if (stopped_ || epoch != epoch_) return;
    claiming_ = false;
    arm_poll(backoff_.next());
  });
}

void PostgresOutboxSource::claim_done(bool more, bool failed_rows) {
  claiming_ = false;
  if (listening_) {
    up_.store(true, std::memory_order_relaxed);
    set_detail("");
  }
  if (failed_rows) {
    arm_poll(backoff_.next());  // the engine refused some: not at once
    return;
  }
  backoff_.reset();
  if (more || woken_) claim();
}

}  // namespace switchboard::ingress
