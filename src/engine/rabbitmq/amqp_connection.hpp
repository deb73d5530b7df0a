#pragma once
// AmqpConnection: one AMQP 0-9-1 connection to RabbitMQ over librabbitmq 0.11, on a thread of
// its own ("sb-amqp-<n>"), consuming for one or more consumers (amqp_consumer.hpp), each on
// a channel of its own (consumer i on channel i + 1).
//
// librabbitmq is blocking and not thread-safe, so every amqp_* call of a connection happens
// on its thread. That thread: connects (connect, handshake and RPC timeouts: `timeout`),
// logs in (PLAIN; heartbeats negotiated down from `heartbeat`), sets up each consumer, then
// waits in poll() on the socket and an eventfd — never longer than heartbeat / 2, so that
// the library sends our heartbeats and notices the server's absence (a frozen server:
// HEARTBEAT_TIMEOUT after 2 × heartbeat) — and reads frames: basic.deliver with its header
// and body → `on_delivery` (the body copied out, since the library reuses its buffers);
// basic.cancel (the queue was deleted) or channel.close → that consumer set up again after a
// delay; connection.close or a socket error → reconnect with jittered backoff (100 ms … 5 s),
// each login a new generation of every channel.
//
// With a publisher (set_publisher(), amqp_publisher.hpp) the connection also publishes, on the
// channel after the consumers' (consumers.size() + 1), in confirm mode: publish() hands a
// batch of messages to the thread, which sends them and answers once RabbitMQ confirmed each
// one (basic.ack, `multiple` included); a basic.nack, a basic.return of a mandatory message,
// the channel or the connection lost, or no confirm within the batch's timeout fails the batch
// (what was sent may still arrive: the caller's retry makes delivery at least once). While the
// publisher's channel is not open a batch fails at once, saying why.
//
// Bindings at run time: bind() / unbind() of a consumer's queue, each a queue.bind /
// queue.unbind RPC on the thread, answered after its -ok. A consumer's bindings are a set (the
// spec's at first) that every setup of its channel binds again (after a reconnect, or a
// channel the server closed); on_setup reports each setup's outcome, so that a user learns
// that its bindings are back. While the consumer is not consuming a bind fails at once (it is
// not remembered) and an unbind just leaves the set. An RPC of the read loop's thread puts the
// frames of other channels that arrive meanwhile on the library's queue; the loop reads those
// before it waits in poll() again (serve()).
//
// Other threads ask for acknowledgements through ack() / reject(): a command queue the
// thread drains when the eventfd wakes it. A settle names the channel generation its
// delivery came on; one of an older generation (the connection or the channel was lost
// since) is ignored — RabbitMQ requeued those deliveries when the channel went away, and the
// tag would mean nothing (or another message) on the new channel.
//
// Thread safety: start() and stop() from one owning thread; ack(), reject(), publish(),
// bind(), unbind(), current(), up(), connects(), status() from any thread. `on_delivery`,
// `on_setup` and each publish's and binding's `done` run on the connection's thread (a
// `done` also in stop()) and must not block.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "amqp_consumer.hpp"
#include "amqp_endpoint.hpp"
#include "amqp_publisher.hpp"

namespace switchboard::engine::rabbitmq {

struct AmqpOptions {
  AmqpEndpoint endpoint;
  std::chrono::seconds heartbeat{10};        // 0: none
  std::chrono::milliseconds timeout{5000};  // TCP connect, handshake, each RPC
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5000};
  std::string thread_name = "sb-amqp";       // at most 15 characters
};

// One message as a consumer received it; owns its bytes.
struct AmqpDelivery {
  std::size_t consumer = 0;       // index in the connection's consumers
  std::uint64_t generation = 0;   // of the channel it came on
  std::uint64_t delivery_tag = 0;
  bool redelivered = false;
  std::string exchange;
  std::string routing_key;
  std::string message_id;  // the message_id property, empty when unset
  std::string body;
};

class AmqpConnection {
 public:
  using OnDelivery = std::function<void(AmqpDelivery)>;
  // `delivered`: which messages RabbitMQ has (PublishConfirms); empty when none is known to.
  using Published = PublishConfirms::Done;
  using Bound = std::function<void(bool ok, std::string detail)>;
  // After each attempt to set up consumer `consumer` (or, kLogin, to connect and log in): an
  // empty error when it is consuming, else why not (its `code` 405 for an exclusive queue
  // another connection holds).
  using OnSetup = std::function<void(std::size_t consumer, const ChannelSetup& outcome)>;
  static constexpr std::size_t kLogin = static_cast<std::size_t>(-1);

  AmqpConnection(AmqpOptions options, OnDelivery on_delivery);
  ~AmqpConnection();  // stop()
  AmqpConnection(const AmqpConnection&) = delete;
  AmqpConnection& operator=(const AmqpConnection&) = delete;

  // Before start(): one more consumer, on channel index + 1; returns its index.
  std::size_t add(AmqpConsumerSpec spec);
  // Before start(): publish to `spec.exchange` on a confirm-mode channel of its own.
  void set_publisher(AmqpPublisherSpec spec);
  // Before start().
  void set_on_setup(OnSetup on_setup) { on_setup_ = std::move(on_setup); }
  void start();
  // Sends the acknowledgements already asked for, closes the connection (what is unacked is
  // requeued by RabbitMQ) and joins the thread. Idempotent.
  void stop();

  // basic.ack / basic.reject of one delivery, on the connection's thread soon after; ignored
  // when its channel generation is gone or the connection stopped.
  void ack(std::size_t consumer, std::uint64_t generation, std::uint64_t tag);
  void reject(std::size_t consumer, std::uint64_t generation, std::uint64_t tag, bool requeue);
  // Publishes `messages` in order; `done` once each is confirmed, or the first failure (see
  // above; a returned message fails its batch once the batch's other confirms are in, so that
  // `delivered` tells which ones RabbitMQ has). Answered lost at once without a publisher, or
  // after stop().
  void publish(std::vector<AmqpMessage> messages, std::chrono::milliseconds timeout,
               Published done);
  // queue.bind of the consumer's queue to its exchange with `routing_key`, added to its set:
  // done(true) after bind-ok; done(false, why) when it is not consuming, the RPC failed or
  // the connection stopped. Binding a key twice is one binding.
  void bind(std::size_t consumer, std::string routing_key, Bound done);
  // queue.unbind, the key taken out of the set whatever happens (never bound again):
  // done(true) after unbind-ok, or at once while the consumer is not consuming; done(false,
  // why) when the RPC failed (the binding may stay until the queue goes).
  void unbind(std::size_t consumer, std::string routing_key, Bound done);
  // True while the consumer's channel is the one of `generation` (a settle would count).
  bool current(std::size_t consumer, std::uint64_t generation) const noexcept;

  // Logged in, every consumer consuming, and the publisher's channel (if any) open.
  bool up() const noexcept { return up_.load(std::memory_order_relaxed); }
  std::uint64_t connects() const noexcept { return connects_.load(std::memory_order_relaxed); }
  // Why not up ("connecting", "login: 403 ACCESS_REFUSED - …", "queue.declare 'q': 404 …").
  std::string status() const;
  const AmqpOptions& options() const noexcept { return options_; }

 private:
  struct Command {
    enum class Kind : std::uint8_t { ack, reject, requeue } kind;
    std::size_t consumer;
    std::uint64_t generation;
    std::uint64_t tag;
  };
  struct Consumer;  // a spec and its channel's state (amqp_connection.cpp)
  struct Publisher;  // its spec, channel state and the batches waiting for confirms
  struct Publish {
    std::vector<AmqpMessage> messages;
    std::chrono::milliseconds timeout;
    Published done;
  };
  struct BindingChange {
    std::size_t consumer;
    std::string routing_key;
    bool bind;  // else unbind
    Bound done;
  };

  void push(Command command);
  void run();
  bool connect();
  void serve();
  void disconnect();
  void set_up_consumers();
  void run_commands();
  void run_publishes();
  void set_up_publisher();
  void publisher_lost(const std::string& why);
  bool confirm(const amqp_frame_t& frame);  // basic.ack / basic.nack on the publisher's channel
  void fail_queued_publishes(const std::string& why);
  void queue_binding_change(BindingChange change);
  void run_binding_changes();
  // Binding changes while no consumer is consuming: binds fail, unbinds leave the set.
  void settle_binding_changes_offline(const std::string& why);
  bool returned(const amqp_frame_t& frame);  // basic.return on the publisher's channel
  void wake();
  bool read_frame();  // false: the connection is lost
  bool deliver(const amqp_frame_t& frame);  // basic.deliver: its content read, handed on
  void consumer_lost(std::size_t index, const std::string& why);
  // The connection is unusable (a failed send or setup): closed at once, the thread's loop
  // reconnects (what waits for confirms fails in disconnect()).
  void drop_connection(const std::string& why);
  void wait_for(std::chrono::milliseconds delay);
  int poll_timeout_ms() const;
  void refresh_status(std::string connection_error = {});

  AmqpOptions options_;
  OnDelivery on_delivery_;
  OnSetup on_setup_;
  std::vector<std::unique_ptr<Consumer>> consumers_;
  std::unique_ptr<Publisher> publisher_;  // null: none
  int wake_fd_ = -1;  // eventfd: commands queued, or stop
  std::atomic<bool> stopping_{false};
  std::atomic<bool> up_{false};
  std::atomic<std::uint64_t> connects_{0};
  std::uint64_t next_generation_ = 1;  // the thread's

  std::mutex commands_mutex_;
  std::vector<Command> commands_;
  std::vector<Command> running_;  // the thread's: swapped with commands_
  std::vector<Publish> publishes_;        // under commands_mutex_
  std::vector<Publish> running_publishes_;  // the thread's
  std::vector<BindingChange> binding_changes_;          // under commands_mutex_
  std::vector<BindingChange> running_binding_changes_;  // the thread's

  mutable std::mutex status_mutex_;
  std::string status_ = "connecting";

  amqp_connection_state_t conn_ = nullptr;  // the thread's
  std::thread thread_;
};

}  // namespace switchboard::engine::rabbitmq
