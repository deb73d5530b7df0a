#pragma once
// The NATS BrokerTransport (relay/broker_transport.hpp) for `broker = "nats"`: the relay broker
// over core NATS (nats.c 3.4), beside the Redis engine's history, registry and keys
// (docs/engine.md "Relay brokers", docs/ingress-plan.md 4.1).
//
// - Channels are subjects `<prefix>.c.<token>`, the channel escaped into one subject token
//   (`.`, `*`, `>`, `%`, whitespace, control and non-ASCII bytes as %XX); one plain
//   subscription per subscribed channel, on the library's global delivery thread pool (one
//   thread for every channel rather than a thread per subscription). subscribe() and send()
//   complete once the server has them (one flush, PING/PONG, shared by every call queued
//   meanwhile).
// - A node's mailbox is `<prefix>.n.<token>`: send_to_node() is a request to it, answered
//   (empty) by the receiving transport once on_node_message returned. No subscriber:
//   `unknown_node` (the server's no-responders status); no answer within `timeout`: `timeout`.
// - While the client is not connected, subscribe(), send() and send_to_node() fail at once with
//   `unavailable` and leave nothing behind (nothing is resent after the reconnect). After a
//   reconnect the library subscribes every channel again; the transport reports each through
//   on_subscription_restored once the server has them. A call whose flush or answer the link
//   loss cut short completes with `timeout` (the server may have had it).
// - Node ids: start() asks the mailbox `<prefix>.n.<id>` first (a probe request, 1 s at most);
//   an answer means another running node has the id: std::invalid_argument (start() may be
//   called again, and asks again). Best effort: a node starting while the server is down is
//   not checked, and neither is a frozen node.
// - A channel or node id whose subject would exceed 3,000 bytes, and a message over the
//   server's max_payload, are refused with `unavailable` (counted): the server would close the
//   connection for the first. Valid channel names (at most 255 bytes) are far below it.
// - Messages the library drops for a channel the receiver does not keep up with (more than
//   10,000 messages or 16 MiB pending) are counted: switchboard_broker_nats_dropped_total.
//
// Thread safety: any method from any thread after start(). Completions and receiver calls run
// on the transport's command thread or the library's delivery thread; never on the caller's
// (but at once on the caller's after stop()).
#include <chrono>
#include <memory>
#include <string>

#include "switchboard/engine/relay/broker_transport.hpp"

namespace switchboard::engine::nats {

struct NatsTransportConfig {
  // nats://[user:password@]host[:port], several comma-separated (the library connects to any).
  std::string url;
  // First subject token of everything this cluster sends: clusters with different prefixes
  // share a server without seeing each other.
  std::string prefix = "switchboard";
  // Connecting to a server, each flush, each send_to_node() answer.
  std::chrono::milliseconds timeout{5000};
};

// Throws std::invalid_argument when `url` is empty or `prefix` cannot begin a subject (empty, an
// empty token, a wildcard, whitespace or a control byte). The URL is checked by start(), which
// throws std::invalid_argument when the library refuses it.
std::shared_ptr<relay::BrokerTransport> make_nats_transport(const NatsTransportConfig& config);

}  // namespace switchboard::engine::nats
