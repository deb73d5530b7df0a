#pragma once
// Per-worker gateway metrics (single writer: the worker; read by /metrics on any thread).
#include <array>

#include "switchboard/auth/identity.hpp"
#include "switchboard/net/counters.hpp"

namespace switchboard::node {

struct GatewayCounters {
  net::Counter sessions;                 // gauge: authenticated sessions
  net::Counter auth_success_total;
  std::array<net::Counter, 16> auth_failure_total;  // by auth::AuthError
  net::Counter subscriptions;            // gauge: channel subscriptions
  net::Counter deliveries_total;         // channel messages queued to connections
  net::Counter client_messages_total;    // envelopes received
  net::Counter client_errors_total;      // error envelopes sent
  net::Counter rate_limited_total;
  net::Counter acks_received_total;
  net::Counter ack_retries_total;
  net::Counter ack_expired_total;        // gave up: max attempts or expiry
  net::Counter ack_evicted_total;        // pending bound hit: the oldest stopped being tracked
  net::Counter acks_requeued_total;      // unacknowledged at close: back to the offline store
  net::Counter recovered_total;          // subscriptions that recovered missed messages
  net::Counter not_recovered_total;
  // subscriptions recovering from history after the broker restored a lost subscription
  net::Counter subscription_recoveries_total;
  net::Counter upstream_rejected_total;  // client events refused: buffer full
};

}  // namespace switchboard::node
