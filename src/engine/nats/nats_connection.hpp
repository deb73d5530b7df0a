#pragma once
// NatsConnection: one nats.c client connection the way every Switchboard NATS user runs it (the
// broker transport, the ingress source, the upstream): the servers of a nats_url
// (nats://[user:password@]host[:port], several comma-separated: the library connects to any),
// reconnects forever (100 ms plus up to 400 ms of jitter between attempts), a first connect
// retried in the background when no server answers at start, a stalled server found by pings
// (every 2 s, two unanswered: disconnected), and the state /health shows — up, or why not.
//
// The library resubscribes its subscriptions after a reconnect by itself; what was published
// while the link was down is lost (core NATS keeps nothing). Publishes made while it is down go
// to the library's reconnect buffer and are sent after the reconnect: users that must not
// resend late check up() first.
//
// Thread safety: open() and close() on one thread; the rest on any. The events run on the
// library's callback thread.
#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "switchboard/engine/engine.hpp"

namespace switchboard::engine::nats {

struct NatsConnectionOptions {
  std::string urls;
  std::string client_name;  // natsOptions_SetName: how the server lists the client
  std::chrono::milliseconds connect_timeout{2000};
  // Subscriptions share the library's delivery thread pool instead of a thread each (a
  // connection with many subscriptions: the broker transport's one per channel).
  bool global_delivery = false;
  std::function<void()> on_connected;  // each connect the library made in the background
  // Asynchronous errors (NATS_SLOW_CONSUMER: `subscription` dropped messages).
  std::function<void(natsSubscription* subscription, natsStatus status)> on_error;
};

// The servers of `urls` as logs and /health name them: host[:port], comma-separated, without
// the scheme and credentials.
std::string shown_nats_servers(std::string_view urls);

class NatsConnection {
 public:
  explicit NatsConnection(NatsConnectionOptions options);
  ~NatsConnection();  // close()
  NatsConnection(const NatsConnection&) = delete;
  NatsConnection& operator=(const NatsConnection&) = delete;

  // Starts the client: true when it is connected or connecting in the background, false when
  // the library refused the options (detail in health(), logged).
  bool open();
  // Closes the connection and waits (bounded) for the library's closed event. Idempotent.
  void close();

  // The library's connection (null before open() or when it failed).
  natsConnection* get() const noexcept { return connection_; }
  bool up() const noexcept;
  std::uint64_t connects() const noexcept;  // the first connect and every reconnect
  // {label, up, why not}.
  BackendHealth health(std::string label) const;
  const std::string& servers() const noexcept { return servers_; }

  struct Events;  // what the library's callback thread touches (nats_connection.cpp)

 private:
  NatsConnectionOptions options_;
  std::string servers_;
  std::shared_ptr<Events> events_;
  natsConnection* connection_ = nullptr;
  bool closed_ = false;
};

// Why `connection` is not up, in words (its last error, else "disconnected").
std::string nats_connection_error(natsConnection* connection);

}  // namespace switchboard::engine::nats
