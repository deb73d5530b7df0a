#pragma once
// The relay broker: the Broker (broker.hpp) over a BrokerTransport (broker_transport.hpp) that
// is not the history store — `broker = "rabbitmq" | "nats"` beside the Redis engine's history,
// registry and keys (docs/engine.md "Relay brokers").
//
// - publish() with history is HistoryStore::append (PublishKeys::append for a keyed
//   publication: offset, epoch and its idempotency key in one step on Redis), then transport
//   send() of encode_positioned(stored copy). Without history a keyed publish claims its key
//   (PublishKeys::claim) first. A duplicate completes as the contract says and sends nothing;
//   a send that fails releases the key (PublishKeys::release) and completes with the error —
//   the stored copy stays in history (a recovering subscriber may see it; a live one did not).
// - Offset order: the append and the send are two servers, so two nodes' publications of one
//   channel can arrive swapped. Every received publication with an offset goes through an
//   OffsetSequencer (offset_sequencer.hpp, src/engine/relay/): offset n + 1 passes after n; a
//   gap not filled within `gap_timeout` drops what it held and reports
//   on_subscription_restored(channel), so the node recovers its subscribers from history, in
//   order and exactly once. Publications without an offset pass straight through.
// - Messages that do not decode are dropped and counted; so are stale ones (an offset at or
//   below one already passed on, in the same epoch).
//
// - Threads: the transport's threads decode and queue what arrives; one delivery thread
//   ("sb-relay") runs the sequencer over everything queued since it last looked and hands
//   the node what passed in one on_publications() call (under load, many arrivals share one
//   hand-over: one post per worker and fuller writes, as a Redis read gives), and gives up
//   gaps on time.
//
// Thread safety: any method from any thread after start(); handler calls run on the
// delivery thread.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "switchboard/engine/broker.hpp"
#include "switchboard/engine/history_store.hpp"
#include "switchboard/engine/metrics_sink.hpp"
#include "switchboard/engine/publish_keys.hpp"
#include "switchboard/engine/relay/broker_transport.hpp"

namespace switchboard::engine::relay {

// What the broker dropped or gave up, for /metrics (write_relay_metrics). Relaxed atomics.
struct RelayStats {
  std::atomic<std::uint64_t> undecodable{0};  // messages not in this version's format
  std::atomic<std::uint64_t> stale{0};        // an offset already passed on (a duplicate)
  std::atomic<std::uint64_t> gaps{0};         // gaps given up: the node recovered from history
  std::atomic<std::uint64_t> held{0};         // publications waiting for an earlier offset now
};

struct RelayBrokerOptions {
  std::chrono::milliseconds gap_timeout{100};
  std::shared_ptr<RelayStats> stats;  // null: counted, not shown
};

// switchboard_broker_dropped_total{reason="undecodable"|"stale"}, switchboard_broker_gaps_total,
// switchboard_broker_held.
void write_relay_metrics(const RelayStats& stats, MetricsSink& sink);

// `history` outlives the broker; `keys` are shared with the publishes in flight, the transport
// with whoever reports its health (the gateway's engine backend). The broker starts the
// transport in start() and stops it when destroyed.
std::unique_ptr<Broker> make_relay_broker(std::shared_ptr<BrokerTransport> transport,
                                          HistoryStore& history, std::shared_ptr<PublishKeys> keys,
                                          RelayBrokerOptions options = {});

}  // namespace switchboard::engine::relay
