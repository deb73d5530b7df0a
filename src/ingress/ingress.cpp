// The ingress facade: compiles the rules, groups them by server into sources (one per Redis
// server, NATS server list, RabbitMQ server and PostgreSQL outbox table), and runs them on the "sb-ingress" thread (each
// RabbitMQ connection has its own sb-amqp-<n> thread beside it).
#include "switchboard/ingress/ingress.hpp"

#include <pthread.h>

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <stdexcept>
#include <thread>

#include "compiled_rule.hpp"
#include "amqp_url.hpp"
#include "handoff.hpp"
#include "nats_source.hpp"
#include "postgres_source.hpp"
#include "rabbitmq_source.hpp"
#include "redis_source.hpp"
#include "redis_server_for.hpp"

namespace switchboard::ingress {
namespace {

namespace asio = boost::asio;
using engine::rabbitmq::AmqpEndpoint;
using engine::redis::RedisEndpoint;

AmqpEndpoint amqp_server(const config::Config& c, const config::IngressRuleConfig& rule) {
  const auto parsed = engine::rabbitmq::parse_amqp_url(rule.url.empty() ? c.amqp_url : rule.url);
  if (!parsed.ok()) throw std::invalid_argument("ingress rule " + rule.name + ": " + parsed.error);
  return parsed.endpoint;
}

// consumers = "every": the node's own queue, <queue>.<node_id>, exclusive to its connection
// and deleted with it (created on every connect, so `declare` and `durable` do not apply):
// each node gets every message the exchange routes to the bindings.
engine::rabbitmq::AmqpConsumerSpec consumer_spec(const config::IngressRuleConfig& rule,
                                                 const std::string& node_id) {
  engine::rabbitmq::AmqpConsumerSpec spec;
  spec.queue = rule.queue;
  spec.declare = rule.declare == config::IngressDeclare::passive ? engine::rabbitmq::DeclareMode::passive
                 : rule.declare == config::IngressDeclare::create
                     ? engine::rabbitmq::DeclareMode::create
                     : engine::rabbitmq::DeclareMode::automatic;
  spec.durable = rule.durable;
  spec.dead_letter_exchange = rule.dead_letter_exchange;
  spec.exchange = rule.exchange;
  spec.exchange_type = rule.exchange_type;
  spec.bindings = rule.bindings;
  spec.prefetch = static_cast<std::uint16_t>(rule.prefetch);
  if (rule.consumers == config::IngressConsumers::every) {
    if (node_id.empty()) {
      throw std::invalid_argument("ingress rule " + rule.name +
                                  ": consumers = \"every\" needs the node's id");
    }
    spec.queue = rule.queue + "." + node_id;
    spec.declare = engine::rabbitmq::DeclareMode::create;
    spec.durable = false;
    spec.exclusive = true;
    spec.auto_delete = true;
  }
  return spec;
}

class NoIngress final : public Ingress {
 public:
  void start() override {}
  void stop() override {}
  std::vector<engine::BackendHealth> health() const override { return {}; }
  void write_metrics(engine::MetricsSink&) const override {}
};

class BrokerIngress final : public Ingress {
 public:
  BrokerIngress(const config::Config& c, IngressSink& sink) {
    for (const auto& rule : c.ingress) rules_.emplace_back(rule, c.ingress_max_message_size);
    EnrichOptions enrich;
    enrich.postgres_url = c.postgres_url;
    enrich.pool_size = c.postgres_pool_size;
    enrich.statement_timeout = c.postgres_statement_timeout;
    enrich.connect_timeout = c.broker_timeout;
    handoff_ = std::make_unique<Handoff>(io_.get_executor(), rules_, sink, c.ingress_max_in_flight,
                                         std::move(enrich));
    for (std::size_t i = 0; i < rules_.size(); ++i) {
      const auto& rule = rules_[i].config();
      switch (rule.source) {
        case config::IngressSourceKind::redis:
          // Its own url, else ingress_redis_url, else the engine's first server.
          redis_source_for(redis_server_for(c, rule.url.empty() ? c.ingress_redis_url : rule.url,
                                            "ingress rule " + rule.name),
                           c.redis_command_timeout)
              .add(i, rule.channels, rule.patterns);
          break;
        case config::IngressSourceKind::nats: {
          // consumers = one: a queue group, so that NATS gives each message to one node.
          const std::string group =
              rule.consumers == config::IngressConsumers::every ? std::string()
              : rule.queue_group.empty()                         ? "switchboard." + rule.name
                                                                 : rule.queue_group;
          nats_source_for(rule.url.empty() ? c.nats_url : rule.url).add(i, rule.subjects, group);
          break;
        }
        case config::IngressSourceKind::rabbitmq:
          rabbitmq_source_for(amqp_server(c, rule), c).add(i, consumer_spec(rule, sink.node_id()));
          if (rule.batch_interval.count() > 0) {
            // RabbitMQ sends at most `prefetch` unacknowledged messages, and a batch is acked
            // after its interval: that bounds the rule's rate.
            spdlog::info("ingress rule '{}': at most prefetch {} messages per batch_interval "
                         "{} ms ({:.0f}/s)",
                         rule.name, rule.prefetch, rule.batch_interval.count(),
                         1000.0 * rule.prefetch / static_cast<double>(rule.batch_interval.count()));
          }
          break;
        case config::IngressSourceKind::postgres:
          postgres_source_for(rule, c).add(i, rule.topics);
          break;
      }
    }
  }
  ~BrokerIngress() override { stop(); }

  void start() override {
    if (thread_.joinable()) return;
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "sb-ingress");
      io_.run();
    });
    asio::post(io_, [this] {
      handoff_->start();
      for (auto& s : sources_) s->start();
    });
  }

  void stop() override {
    if (!thread_.joinable()) return;
    std::promise<void> stopped;
    asio::post(io_, [this, &stopped] {
      // Held batches go to the node, which still runs, before the sources stop: a RabbitMQ
      // source then sends the acks of those the node completed at once (the memory engine
      // completes inline); the rest RabbitMQ requeues when the connection closes.
      handoff_->flush();
      for (auto& s : sources_) s->stop();
      stopped.set_value();
    });
    stopped.get_future().wait();
    work_.reset();
    io_.stop();
    thread_.join();
  }

  std::vector<engine::BackendHealth> health() const override {
    std::vector<engine::BackendHealth> out;
    for (const auto& s : sources_) out.push_back(s->health());
    for (auto& h : handoff_->enrich_health()) out.push_back(std::move(h));
    return out;
  }

  void write_metrics(engine::MetricsSink& sink) const override {
    handoff_->counters().write_metrics(sink);
    using Type = engine::MetricsSink::Type;
    sink.family("switchboard_ingress_source_up", Type::gauge,
                "1 while an ingress source is connected and every subscription confirmed.");
    for (const auto& s : sources_) {
      sink.sample("switchboard_ingress_source_up", s->up() ? 1 : 0, {{"source", s->name()}});
    }
    sink.family("switchboard_ingress_connects_total", Type::counter,
                "Successful (re)connections of an ingress source to its broker.");
    for (const auto& s : sources_) {
      sink.sample("switchboard_ingress_connects_total", s->connects(), {{"source", s->name()}});
    }
    sink.family("switchboard_ingress_source_dropped_total", Type::counter,
                "Messages a broker's client library dropped before the ingress saw them (NATS "
                "slow consumer).");
    for (const auto& s : sources_) {
      sink.sample("switchboard_ingress_source_dropped_total", s->dropped(),
                  {{"source", s->name()}});
    }
    std::vector<const PostgresOutboxSource*> outboxes;
    for (const auto& [key, source] : postgres_sources_) outboxes.push_back(source);
    write_outbox_metrics(sink, outboxes);
  }

 private:
  // One source per Redis server, whatever the number of rules consuming it.
  RedisIngressSource& redis_source_for(const RedisEndpoint& endpoint,
                                       std::chrono::milliseconds timeout) {
    for (auto& [e, source] : redis_sources_) {
      if (e == endpoint) return *source;
    }
    auto source =
        std::make_unique<RedisIngressSource>(io_.get_executor(), endpoint, timeout, *handoff_);
    redis_sources_.emplace_back(endpoint, source.get());
    sources_.push_back(std::move(source));
    return *redis_sources_.back().second;
  }

  // One source (one AMQP connection, one thread) per RabbitMQ server and vhost.
  RabbitMqIngressSource& rabbitmq_source_for(const AmqpEndpoint& endpoint,
                                             const config::Config& c) {
    for (auto& [e, source] : rabbitmq_sources_) {
      if (e == endpoint) return *source;
    }
    RabbitMqSourceOptions options;
    options.endpoint = endpoint;
    // AMQP negotiates whole seconds: rounded up, so that a short heartbeat is not "none".
    options.heartbeat = std::chrono::ceil<std::chrono::seconds>(c.amqp_heartbeat);
    options.timeout = c.broker_timeout;
    options.thread_name = "sb-amqp-" + std::to_string(rabbitmq_sources_.size());
    auto source =
        std::make_unique<RabbitMqIngressSource>(io_.get_executor(), options, *handoff_);
    rabbitmq_sources_.emplace_back(endpoint, source.get());
    sources_.push_back(std::move(source));
    return *rabbitmq_sources_.back().second;
  }

  // First: destroyed last, after the timers and connections bound to it.
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  std::vector<CompiledRule> rules_;
  std::unique_ptr<Handoff> handoff_;
  // One source per NATS server list.
  NatsIngressSource& nats_source_for(const std::string& urls) {
    for (auto& [u, source] : nats_sources_) {
      if (u == urls) return *source;
    }
    auto source = std::make_unique<NatsIngressSource>(io_.get_executor(), urls, *handoff_);
    nats_sources_.emplace_back(urls, source.get());
    sources_.push_back(std::move(source));
    return *nats_sources_.back().second;
  }

  // One source (one PostgreSQL session) per server and outbox table.
  PostgresOutboxSource& postgres_source_for(const config::IngressRuleConfig& rule,
                                            const config::Config& c) {
    const std::string url = rule.url.empty() ? c.postgres_url : rule.url;
    const std::string key = url + '\n' + rule.table;
    for (auto& [k, source] : postgres_sources_) {
      if (k == key) return *source;
    }
    PostgresSourceOptions options;
    options.connection.dsn = url;
    options.connection.statement_timeout = c.postgres_statement_timeout;
    options.connection.connect_timeout = c.broker_timeout;
    options.table = rule.table;
    options.columns = rule.columns;
    options.notify = rule.notify;
    options.batch = c.postgres_outbox_batch;
    options.poll_interval = c.postgres_poll_interval;
    auto source = std::make_unique<PostgresOutboxSource>(io_.get_executor(), std::move(options),
                                                         *handoff_);
    postgres_sources_.emplace_back(key, source.get());
    sources_.push_back(std::move(source));
    return *postgres_sources_.back().second;
  }

  std::vector<std::unique_ptr<IngressSource>> sources_;
  std::vector<std::pair<std::string, PostgresOutboxSource*>> postgres_sources_;
  std::vector<std::pair<RedisEndpoint, RedisIngressSource*>> redis_sources_;
  std::vector<std::pair<std::string, NatsIngressSource*>> nats_sources_;
  std::vector<std::pair<AmqpEndpoint, RabbitMqIngressSource*>> rabbitmq_sources_;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<Ingress> make_ingress(const config::Config& config, IngressSink& sink) {
  if (config.ingress.empty()) return std::make_unique<NoIngress>();
  return std::make_unique<BrokerIngress>(config, sink);
}

}  // namespace switchboard::ingress
