#pragma once
// An engine whose broker is a relay broker (relay_broker.hpp): the Redis engine built with
// `pubsub_broker = false`, and a transport (RabbitMQ, NATS) between its nodes. Its backend
// starts what the engine's did, stops the transport first, and reports both servers' health
// and metrics together with the relay broker's own (write_relay_metrics).
#include <memory>

#include "switchboard/engine/engine.hpp"
#include "switchboard/engine/relay/broker_transport.hpp"
#include "switchboard/engine/relay/relay_broker.hpp"

namespace switchboard::engine::relay {

// `engine` has no broker and has publish_keys (std::invalid_argument otherwise).
Engine with_relay_broker(Engine engine, std::shared_ptr<BrokerTransport> transport,
                         RelayBrokerOptions options = {});

}  // namespace switchboard::engine::relay
