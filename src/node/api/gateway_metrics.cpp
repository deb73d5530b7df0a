#include "gateway_metrics.hpp"

#include "node.hpp"
#include "switchboard/http/prometheus.hpp"
#include "switchboard/ingress/ingress.hpp"
#include "upstream.hpp"
#include "worker_gateway.hpp"

namespace switchboard::node {
namespace {

// The engine backend's and the ingress's families in the Prometheus text.
class PrometheusSink final : public engine::MetricsSink {
 public:
  explicit PrometheusSink(http::PrometheusWriter& out) : out_(out) {}
  void family(std::string_view name, Type type, std::string_view help) override {
    out_.family(name, type == Type::counter ? "counter" : "gauge", help);
  }
  void sample(std::string_view name, std::uint64_t value, Labels labels) override {
    out_.sample(name, value, labels);
  }

 private:
  http::PrometheusWriter& out_;
};

}  // namespace

void add_gateway_metrics(Node& node, const WorkerGateways& workers,
                         const ingress::Ingress& ingress) {
  node.server().add_metrics_source([&node, &workers, &ingress](http::PrometheusWriter& out) {
    using C = GatewayCounters;
    struct Simple {
      const char* name;
      const char* type;
      const char* help;
      const net::Counter C::*member;
    };
    static constexpr Simple kSimple[] = {
        {"switchboard_gateway_sessions", "gauge", "Authenticated sessions.", &C::sessions},
        {"switchboard_gateway_subscriptions", "gauge", "Channel subscriptions.", &C::subscriptions},
        {"switchboard_gateway_auth_success_total", "counter", "Successful authentications.",
         &C::auth_success_total},
        {"switchboard_gateway_deliveries_total", "counter", "Channel messages queued to sessions.",
         &C::deliveries_total},
        {"switchboard_gateway_client_messages_total", "counter", "Envelopes received from clients.",
         &C::client_messages_total},
        {"switchboard_gateway_client_errors_total", "counter", "Error envelopes sent to clients.",
         &C::client_errors_total},
        {"switchboard_gateway_rate_limited_total", "counter", "Client messages refused by rate limits.",
         &C::rate_limited_total},
        {"switchboard_gateway_acks_received_total", "counter", "Acknowledgements received.",
         &C::acks_received_total},
        {"switchboard_gateway_ack_retries_total", "counter", "Unacknowledged messages resent.",
         &C::ack_retries_total},
        {"switchboard_gateway_ack_expired_total", "counter",
         "Unacknowledged messages given up (max attempts or expiry).", &C::ack_expired_total},
        {"switchboard_gateway_ack_evicted_total", "counter",
         "Pending acknowledgements dropped at the per-connection bound (client told ack_overflow).",
         &C::ack_evicted_total},
        {"switchboard_gateway_acks_requeued_total", "counter",
         "Unacknowledged messages given back to the offline store when their connection closed.",
         &C::acks_requeued_total},
        {"switchboard_gateway_recovered_total", "counter", "Subscriptions that recovered missed events.",
         &C::recovered_total},
        {"switchboard_gateway_not_recovered_total", "counter",
         "Subscriptions told not_recovered (the client must reload).", &C::not_recovered_total},
        {"switchboard_gateway_subscription_recoveries_total", "counter",
         "Subscriptions that read history again because the broker had lost and restored its "
         "subscription to their channel.",
         &C::subscription_recoveries_total},
        {"switchboard_gateway_upstream_rejected_total", "counter",
         "Client events refused because the upstream buffer was full.", &C::upstream_rejected_total},
    };
    for (const auto& m : kSimple) {
      std::uint64_t total = 0;
      workers.for_each([&](const WorkerGateway& w) { total += (w.counters().*m.member).value(); });
      out.family(m.name, m.type, m.help);
      out.sample(m.name, total);
    }
    out.family("switchboard_gateway_auth_failures_total", "counter", "Failed authentications by code.");
    for (int e = 1; e <= static_cast<int>(auth::AuthError::service_unavailable); ++e) {
      std::uint64_t total = 0;
      workers.for_each(
          [&](const WorkerGateway& w) { total += w.counters().auth_failure_total[e].value(); });
      if (total == 0) continue;
      out.sample("switchboard_gateway_auth_failures_total", total,
                 {{"code", auth::to_string(static_cast<auth::AuthError>(e))}});
    }
    // Node-wide values: one sample per family.
    auto single = [&out](const char* name, const char* type, const char* help,
                         std::uint64_t value) {
      out.family(name, type, help);
      out.sample(name, value);
    };
    single("switchboard_gateway_users", "gauge", "Distinct users connected to this node.",
           static_cast<std::uint64_t>(node.user_count()));
    out.family("switchboard_gateway_engine_errors_total", "counter",
               "Engine calls that failed (backend unreachable or too slow), by operation.");
    for (std::size_t op = 0; op < kEngineOps; ++op) {
      const auto which = static_cast<EngineOp>(op);
      out.sample("switchboard_gateway_engine_errors_total", node.engine_errors_total(which),
                 {{"op", to_string(which)}});
    }
    out.family("switchboard_gateway_broker_received_total", "counter",
               "Publications the broker delivered to this node: for a channel it subscribed to, "
               "or addressed to the node (control messages).");
    out.sample("switchboard_gateway_broker_received_total", node.broker_received_total(false),
               {{"kind", "channel"}});
    out.sample("switchboard_gateway_broker_received_total", node.broker_received_total(true),
               {{"kind", "node"}});
    single("switchboard_gateway_registry_refreshes_total", "counter",
           "Connection leases this node refreshed in the registry (one per live connection, every registry_ttl / 3).",
           node.registry_refreshes_total());
    single("switchboard_gateway_memory_trims_total", "counter",
           "Heap trims after a burst of connections (memory_trim_after).",
           node.memory_trims_total());
    single("switchboard_gateway_memory_trimmed_bytes_total", "counter",
           "Resident memory those trims gave back to the system.",
           node.memory_trimmed_bytes_total());
    single("switchboard_gateway_offline_dropped_total", "counter",
           "Acknowledged messages dropped from a full offline store (oldest first).",
           node.offline_dropped_total());
    const Upstream& upstream = node.upstream();
    single("switchboard_gateway_upstream_flushed_total", "counter",
           "Client events the upstream sink or webhook accepted.", upstream.flushed_total());
    single("switchboard_gateway_upstream_failed_total", "counter",
           "Client events dropped: the webhook failed every attempt at their batch.",
           upstream.failed_total());
    single("switchboard_gateway_upstream_retries_total", "counter",
           "Upstream webhook POSTs that failed and were retried.", upstream.retried_total());
    single("switchboard_gateway_upstream_unroutable_total", "counter",
           "Upstream attempts that failed because RabbitMQ returned a message: no queue bound for "
           "its routing key (retried as any failure).",
           upstream.unroutable_total());
    out.family("switchboard_gateway_callout_rejected_total", "counter",
               "HTTP call-outs refused at once: callout_max_queued calls were waiting.");
    out.sample("switchboard_gateway_callout_rejected_total",
               node.auth_callout_stats()->rejected_total.load(), {{"callout", "auth_service"}});
    out.sample("switchboard_gateway_callout_rejected_total", upstream.callout_rejected_total(),
               {{"callout", "webhook"}});
    Snapshots& snapshots = node.snapshots();
    single("switchboard_gateway_snapshot_bytes", "gauge",
           "Bytes (JSON) of snapshot states this node holds until the engine's store has them: "
           "waiting for snapshot_interval, or being written.",
           static_cast<std::uint64_t>(snapshots.held_bytes()));
    single("switchboard_gateway_snapshot_writes_total", "counter",
           "Snapshot states this node compressed and wrote to the engine's store (at most one "
           "per channel per snapshot_interval).",
           snapshots.writes());
    single("switchboard_gateway_snapshot_undecodable_total", "counter",
           "Snapshots read from the engine's store that were not zstd frames: not sent.",
           snapshots.undecodable());
    PrometheusSink sink(out);
    if (const auto& backend = node.engine().backend) backend->write_metrics(sink);
    ingress.write_metrics(sink);
  });
}

}  // namespace switchboard::node
