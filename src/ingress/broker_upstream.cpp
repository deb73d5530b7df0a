// make_broker_upstream: the upstream transport upstream_sink names (upstream_transport.hpp).
#include <stdexcept>

#include "amqp_url.hpp"
#include "nats_upstream.hpp"
#include "rabbitmq_upstream.hpp"
#include "redis_upstream.hpp"
#include "redis_server_for.hpp"
#include "switchboard/ingress/upstream_transport.hpp"

namespace switchboard::ingress {

std::unique_ptr<UpstreamTransport> make_broker_upstream(
    const config::Config& c, const boost::asio::any_io_executor& executor) {
  if (!c.upstream_to_broker()) return nullptr;
  std::string error;
  auto topic = UpstreamTopic::parse(c.upstream_topic, error);
  if (!topic) throw std::invalid_argument("upstream_topic: " + error);
  const bool one_per_event = c.upstream_message == "event";
  if (c.upstream_sink == "rabbitmq") {
    const auto url = engine::rabbitmq::parse_amqp_url(c.amqp_url);
    if (!url.ok()) throw std::invalid_argument("amqp_url " + url.error);
    return std::make_unique<RabbitMqUpstream>(
        executor, RabbitMqUpstream::Options{
                      .endpoint = url.endpoint,
                      // AMQP negotiates whole seconds: rounded up (as the ingress does).
                      .heartbeat = std::chrono::ceil<std::chrono::seconds>(c.amqp_heartbeat),
                      .timeout = c.broker_timeout,
                      .exchange = c.upstream_exchange,
                      .topic = std::move(*topic),
                      .one_per_event = one_per_event});
  }
  if (c.upstream_sink == "nats") {
    return std::make_unique<NatsUpstream>(executor, c.nats_url, std::move(*topic), one_per_event);
  }
  // Redis: upstream_redis_url, else where the ingress reads, else the engine's first server.
  const auto server = redis_server_for(
      c, !c.upstream_redis_url.empty() ? c.upstream_redis_url : c.ingress_redis_url, "upstream");
  return std::make_unique<RedisUpstream>(
      executor, RedisUpstream::Options{.endpoint = server,
                                       .timeout = c.upstream_webhook_timeout,
                                       .topic = std::move(*topic),
                                       .one_per_event = one_per_event,
                                       .stream = c.upstream_redis_mode == "stream",
                                       .stream_maxlen = c.upstream_stream_maxlen});
}

}  // namespace switchboard::ingress
