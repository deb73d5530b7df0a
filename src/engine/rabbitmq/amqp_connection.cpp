// One AMQP connection on its own thread. See amqp_connection.hpp.
#include "switchboard/engine/batched_thread.hpp"
#include "amqp_connection.hpp"

#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <stdexcept>

#include "amqp_error.hpp"
#include "switchboard/engine/backoff.hpp"

namespace switchboard::engine::rabbitmq {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kFrameMax = 131072;

timeval to_timeval(milliseconds d) {
  return timeval{static_cast<time_t>(d.count() / 1000),
                 static_cast<suseconds_t>((d.count() % 1000) * 1000)};
}

std::string text_of(amqp_bytes_t bytes) {
  return std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

}  // namespace

struct AmqpConnection::Consumer {
  explicit Consumer(AmqpConsumerSpec s, const AmqpOptions& o)
      : spec(std::move(s)),
        bindings(spec.bindings.begin(), spec.bindings.end()),
        retry(o.backoff_initial, o.backoff_max) {}
  AmqpConsumerSpec spec;
  std::set<std::string> bindings;  // the thread's: bound at each setup
  // 0 while the channel is not consuming; read by current() from other threads.
  std::atomic<std::uint64_t> generation{0};
  Clock::time_point due{};  // when to try setting it up again
  Backoff retry;
  std::string error;        // why not consuming
};

struct AmqpConnection::Publisher {
  explicit Publisher(AmqpPublisherSpec s, const AmqpOptions& o)
      : spec(std::move(s)), retry(o.backoff_initial, o.backoff_max) {}
  AmqpPublisherSpec spec;
  amqp_channel_t channel = 0;  // after the consumers'; set by start()
  bool open = false;           // in confirm mode on this connection
  Clock::time_point due{};     // when to try opening it again
  Backoff retry;
  std::string error;           // why not open
  std::uint64_t next_sequence = 1;  // of the next message on the channel
  PublishConfirms confirms;
};

AmqpConnection::AmqpConnection(AmqpOptions options, OnDelivery on_delivery)
    : options_(std::move(options)), on_delivery_(std::move(on_delivery)) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::runtime_error("eventfd failed for the AMQP connection");
}

AmqpConnection::~AmqpConnection() {
  stop();
  ::close(wake_fd_);
}

std::size_t AmqpConnection::add(AmqpConsumerSpec spec) {
  consumers_.push_back(std::make_unique<Consumer>(std::move(spec), options_));
  return consumers_.size() - 1;
}

void AmqpConnection::set_publisher(AmqpPublisherSpec spec) {
  publisher_ = std::make_unique<Publisher>(std::move(spec), options_);
}

void AmqpConnection::start() {
  if (thread_.joinable()) return;
  if (publisher_) publisher_->channel = static_cast<amqp_channel_t>(consumers_.size() + 1);
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), options_.thread_name.substr(0, 15).c_str());
    // It relays between workers and RabbitMQ (deliveries in, publishes out): batched_thread.hpp.
    run_this_thread_batched("amqp: the connection thread");
    run();
  });
}

void AmqpConnection::stop() {
  stopping_ = true;
  if (thread_.joinable()) {
    wake();
    thread_.join();
  }
  // Batches handed over while the thread was stopping (or before it ever started).
  fail_queued_publishes("stopped");
  settle_binding_changes_offline("stopped");
}

void AmqpConnection::ack(std::size_t consumer, std::uint64_t generation, std::uint64_t tag) {
  push({Command::Kind::ack, consumer, generation, tag});
}

void AmqpConnection::reject(std::size_t consumer, std::uint64_t generation, std::uint64_t tag,
                            bool requeue) {
  push({requeue ? Command::Kind::requeue : Command::Kind::reject, consumer, generation, tag});
}

void AmqpConnection::publish(std::vector<AmqpMessage> messages, milliseconds timeout,
                             Published done) {
  if (!publisher_) return done(PublishResult::lost, "no publisher on this connection", {});
  bool was_empty = false;
  {
    std::lock_guard lock(commands_mutex_);
    // Checked under the lock: stop() fails what is queued after its thread ended.
    if (!stopping_.load(std::memory_order_relaxed)) {
      was_empty = publishes_.empty();
      publishes_.push_back({std::move(messages), timeout, std::move(done)});
      done = nullptr;
    }
  }
  if (done) return done(PublishResult::lost, "stopped", {});
  // As push(): one wake-up for what is queued until the thread takes it (the relay transport
  // publishes one message at a time: no eventfd write for each).
  if (was_empty) wake();
}

void AmqpConnection::bind(std::size_t consumer, std::string routing_key, Bound done) {
  queue_binding_change({consumer, std::move(routing_key), true, std::move(done)});
}

void AmqpConnection::unbind(std::size_t consumer, std::string routing_key, Bound done) {
  queue_binding_change({consumer, std::move(routing_key), false, std::move(done)});
}

void AmqpConnection::queue_binding_change(BindingChange change) {
  if (change.consumer >= consumers_.size()) return change.done(false, "no such consumer");
  {
    std::lock_guard lock(commands_mutex_);
    // As publish(): stop() settles what is queued after its thread ended.
    if (!stopping_.load(std::memory_order_relaxed)) {
      binding_changes_.push_back(std::move(change));
      change.done = nullptr;
    }
  }
  if (change.done) return change.done(!change.bind, "stopped");  // an unbind is moot
  wake();
}

void AmqpConnection::run_binding_changes() {
  {
    std::lock_guard lock(commands_mutex_);
    running_binding_changes_.swap(binding_changes_);
  }
  for (BindingChange& change : running_binding_changes_) {
    Consumer& c = *consumers_[change.consumer];
    const bool consuming = conn_ != nullptr && c.generation.load(std::memory_order_relaxed) != 0;
    if (!change.bind) c.bindings.erase(change.routing_key);
    if (!consuming) {
      if (change.bind) change.done(false, "not consuming: " + status());
      else change.done(true, {});
      continue;
    }
    const auto channel = static_cast<amqp_channel_t>(change.consumer + 1);
    const char* what = change.bind ? "queue.bind" : "queue.unbind";
    if (change.bind) {
      amqp_queue_bind(conn_, channel, bytes_of(c.spec.queue), bytes_of(c.spec.exchange),
                      bytes_of(change.routing_key), amqp_empty_table);
    } else {
      amqp_queue_unbind(conn_, channel, bytes_of(c.spec.queue), bytes_of(c.spec.exchange),
                        bytes_of(change.routing_key), amqp_empty_table);
    }
    const ChannelSetup outcome = setup_outcome(conn_, channel, what, change.routing_key);
    if (outcome.error.empty()) {
      if (change.bind) c.bindings.insert(change.routing_key);
      change.done(true, {});
      continue;
    }
    change.done(false, outcome.error);
    if (outcome.connection_lost) {
      drop_connection(outcome.error);
    } else {
      // The server closed the channel (setup_outcome answered close-ok): set up again.
      consumer_lost(change.consumer, outcome.error);
    }
  }
  running_binding_changes_.clear();
}

void AmqpConnection::settle_binding_changes_offline(const std::string& why) {
  std::vector<BindingChange> changes;
  {
    std::lock_guard lock(commands_mutex_);
    changes.swap(binding_changes_);
  }
  for (BindingChange& change : changes) {
    if (change.bind) {
      change.done(false, why);
    } else {
      consumers_[change.consumer]->bindings.erase(change.routing_key);
      change.done(true, {});
    }
  }
}

void AmqpConnection::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void AmqpConnection::fail_queued_publishes(const std::string& why) {
  std::vector<Publish> failed;
  {
    std::lock_guard lock(commands_mutex_);
    failed.swap(publishes_);
  }
  for (auto& p : failed) p.done(PublishResult::lost, why, {});
}

bool AmqpConnection::current(std::size_t consumer, std::uint64_t generation) const noexcept {
  return consumer < consumers_.size() &&
         consumers_[consumer]->generation.load(std::memory_order_acquire) == generation;
}

void AmqpConnection::push(Command command) {
  if (stopping_.load(std::memory_order_relaxed)) return;
  bool was_empty;
  {
    std::lock_guard lock(commands_mutex_);
    was_empty = commands_.empty();
    commands_.push_back(command);
  }
  // One wake-up per batch of commands: the thread takes them all at once.
  if (was_empty) wake();
}

std::string AmqpConnection::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

void AmqpConnection::refresh_status(std::string connection_error) {
  std::string status = std::move(connection_error);
  if (status.empty() && conn_ == nullptr) status = "connecting";
  if (status.empty()) {
    for (const auto& c : consumers_) {
      if (c->generation.load(std::memory_order_relaxed) == 0) {
        status = c->error.empty() ? "setting up queue '" + c->spec.queue + "'" : c->error;
        break;
      }
    }
  }
  if (status.empty() && publisher_ && !publisher_->open) {
    status = publisher_->error.empty()
                 ? "setting up the publisher of exchange '" + publisher_->spec.exchange + "'"
                 : publisher_->error;
  }
  up_ = status.empty();
  std::lock_guard lock(status_mutex_);
  status_ = std::move(status);
}

void AmqpConnection::run() {
  Backoff backoff(options_.backoff_initial, options_.backoff_max);
  while (!stopping_) {
    if (connect()) {
      backoff.reset();
      serve();
      disconnect();
    }
    if (!stopping_) wait_for(backoff.next());
  }
  fail_queued_publishes("stopped");
  settle_binding_changes_offline("stopped");
  refresh_status("stopped");
}

bool AmqpConnection::connect() {
  conn_ = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
  const std::string where = options_.endpoint.address();
  timeval timeout = to_timeval(options_.timeout);
  std::string error;
  if (socket == nullptr) {
    error = "cannot create a socket";
  } else if (int rc = amqp_socket_open_noblock(socket, options_.endpoint.host.c_str(),
                                               options_.endpoint.port, &timeout);
             rc != AMQP_STATUS_OK) {
    error = "connect: " + describe_status(rc);
  } else {
    amqp_set_handshake_timeout(conn_, &timeout);
    amqp_set_rpc_timeout(conn_, &timeout);
    // consumer_cancel_notify: a deleted queue cancels our consumer with basic.cancel (set up
    // again) instead of leaving it silently idle.
    amqp_table_entry_t capability;
    capability.key = amqp_cstring_bytes("consumer_cancel_notify");
    capability.value.kind = AMQP_FIELD_KIND_BOOLEAN;
    capability.value.value.boolean = 1;
    amqp_table_entry_t property;
    property.key = amqp_cstring_bytes("capabilities");
    property.value.kind = AMQP_FIELD_KIND_TABLE;
    property.value.value.table = amqp_table_t{1, &capability};
    const amqp_table_t properties{1, &property};
    const auto heartbeat = static_cast<int>(options_.heartbeat.count());
    const amqp_rpc_reply_t reply = amqp_login_with_properties(
        conn_, options_.endpoint.vhost.c_str(), 0, kFrameMax, heartbeat, &properties,
        AMQP_SASL_METHOD_PLAIN, options_.endpoint.user.c_str(),
        options_.endpoint.password.c_str());
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) error = "login: " + describe(reply);
  }
  if (!error.empty()) {
    amqp_destroy_connection(conn_);
    conn_ = nullptr;
    // Once per distinct reason, not on every attempt of a broker that stays down.
    if (error != status()) spdlog::warn("rabbitmq {}: {} (retrying)", where, error);
    refresh_status(error);
    if (on_setup_) on_setup_(kLogin, ChannelSetup{error, true, 0});
    return false;
  }
  connects_.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("rabbitmq {}: connected", where);
  for (auto& c : consumers_) {
    c->due = Clock::now();
    c->retry.reset();
    c->error.clear();
  }
  if (publisher_) {
    publisher_->due = Clock::now();
    publisher_->retry.reset();
    publisher_->error.clear();
  }
  return true;
}

void AmqpConnection::disconnect() {
  for (auto& c : consumers_) c->generation = 0;
  if (publisher_) {
    publisher_->open = false;
    publisher_->confirms.fail_all(stopping_ ? "stopped before RabbitMQ confirmed"
                                            : "the connection to RabbitMQ was lost");
  }
  if (conn_ == nullptr) return;
  if (stopping_) {
    // An orderly close: RabbitMQ requeues what is unacknowledged at once.
    amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
  }
  amqp_destroy_connection(conn_);
  conn_ = nullptr;
  refresh_status(stopping_ ? "stopped" : "connection lost, reconnecting");
}

void AmqpConnection::serve() {
  set_up_consumers();
  set_up_publisher();
  while (true) {
    run_commands();
    if (stopping_) return;
    set_up_consumers();
    set_up_publisher();
    run_publishes();
    if (conn_ != nullptr) run_binding_changes();
    if (conn_ == nullptr) return;
    if (publisher_) publisher_->confirms.expire(Clock::now());
    // Frames the library holds (read while waiting for an RPC reply, or in its buffer) first:
    // poll() would not see them.
    if (!amqp_frames_enqueued(conn_) && !amqp_data_in_buffer(conn_)) {
      pollfd fds[2] = {{amqp_get_sockfd(conn_), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      ::poll(fds, 2, poll_timeout_ms());
      if (fds[1].revents & POLLIN) {
        std::uint64_t count;
        [[maybe_unused]] auto n = ::read(wake_fd_, &count, sizeof count);
      }
    }
    // Also after a quiet timeout: with a zero wait the library only sends a heartbeat that
    // is due and checks the server's.
    if (!read_frame()) return;
    amqp_maybe_release_buffers(conn_);
  }
}

int AmqpConnection::poll_timeout_ms() const {
  milliseconds timeout = options_.heartbeat.count() > 0
                             ? std::chrono::duration_cast<milliseconds>(options_.heartbeat) / 2
                             : milliseconds(1000);
  const auto now = Clock::now();
  auto until = [&](Clock::time_point t) {
    timeout = std::min(timeout,
                       std::max(milliseconds(0), std::chrono::ceil<milliseconds>(t - now)));
  };
  for (const auto& c : consumers_) {
    if (c->generation.load(std::memory_order_relaxed) == 0) until(c->due);
  }
  if (publisher_ && !publisher_->open) until(publisher_->due);
  if (publisher_) {
    if (auto deadline = publisher_->confirms.next_deadline()) until(*deadline);
  }
  return static_cast<int>(std::max(timeout, milliseconds(1)).count());
}

void AmqpConnection::set_up_consumers() {
  bool changed = false;
  for (std::size_t i = 0; i < consumers_.size() && conn_ != nullptr; ++i) {
    Consumer& c = *consumers_[i];
    if (c.generation.load(std::memory_order_relaxed) != 0 || Clock::now() < c.due) continue;
    const auto channel = static_cast<amqp_channel_t>(i + 1);
    const ChannelSetup setup = open_consumer(conn_, channel, c.spec, c.bindings);
    changed = true;
    if (setup.error.empty()) {
      c.error.clear();
      c.retry.reset();
      c.generation.store(next_generation_++, std::memory_order_release);
      if (on_setup_) on_setup_(i, setup);
      continue;
    }
    if (setup.connection_lost) drop_connection(setup.error);
    else consumer_lost(i, setup.error);
    if (on_setup_) on_setup_(i, setup);
    if (conn_ == nullptr) return;
  }
  if (changed) refresh_status();
}

void AmqpConnection::drop_connection(const std::string& why) {
  spdlog::warn("rabbitmq {}: {}", options_.endpoint.address(), why);
  refresh_status(why);
  amqp_destroy_connection(conn_);
  conn_ = nullptr;
  for (auto& c : consumers_) c->generation = 0;
}

void AmqpConnection::consumer_lost(std::size_t index, const std::string& why) {
  Consumer& c = *consumers_[index];
  c.generation = 0;
  c.error = why;
  c.due = Clock::now() + c.retry.next();
  spdlog::warn("rabbitmq {}: consumer of queue '{}' is down: {}", options_.endpoint.address(),
               c.spec.queue, why);
  refresh_status();
}

void AmqpConnection::set_up_publisher() {
  if (!publisher_ || publisher_->open || conn_ == nullptr || Clock::now() < publisher_->due) {
    return;
  }
  Publisher& p = *publisher_;
  const ChannelSetup setup = open_publisher(conn_, p.channel, p.spec);
  if (setup.error.empty()) {
    p.open = true;
    p.next_sequence = 1;
    p.error.clear();
    p.retry.reset();
    refresh_status();
    return;
  }
  if (setup.connection_lost) return drop_connection(setup.error);
  publisher_lost(setup.error);
}

void AmqpConnection::publisher_lost(const std::string& why) {
  Publisher& p = *publisher_;
  p.open = false;
  p.error = why;
  p.due = Clock::now() + p.retry.next();
  p.confirms.fail_all(why);
  spdlog::warn("rabbitmq {}: the publisher of exchange '{}' is down: {}",
               options_.endpoint.address(), p.spec.exchange, why);
  refresh_status();
}

void AmqpConnection::run_publishes() {
  {
    std::lock_guard lock(commands_mutex_);
    running_publishes_.swap(publishes_);
  }
  for (Publish& batch : running_publishes_) {
    if (conn_ == nullptr || !publisher_->open) {
      batch.done(PublishResult::lost, "not connected: " + status(), {});
      continue;
    }
    if (batch.messages.empty()) {
      batch.done(PublishResult::confirmed, {}, {});
      continue;
    }
    Publisher& p = *publisher_;
    const std::uint64_t first = p.next_sequence;
    int rc = AMQP_STATUS_OK;
    for (const AmqpMessage& message : batch.messages) {
      rc = publish_message(conn_, p.channel, p.spec, message, p.next_sequence);
      if (rc != AMQP_STATUS_OK) break;
      ++p.next_sequence;
    }
    if (rc != AMQP_STATUS_OK) {
      const std::string why = "publishing: " + describe_status(rc);
      batch.done(PublishResult::lost, why, {});
      drop_connection(why);
      continue;
    }
    p.confirms.add(first, batch.messages.size(), Clock::now() + batch.timeout,
                   std::move(batch.done));
  }
  running_publishes_.clear();
}

bool AmqpConnection::confirm(const amqp_frame_t& frame) {
  PublishConfirms& confirms = publisher_->confirms;
  if (frame.payload.method.id == AMQP_BASIC_ACK_METHOD) {
    const auto* ack = static_cast<const amqp_basic_ack_t*>(frame.payload.method.decoded);
    confirms.ack(ack->delivery_tag, ack->multiple != 0);
  } else {
    const auto* nack = static_cast<const amqp_basic_nack_t*>(frame.payload.method.decoded);
    confirms.nack(nack->delivery_tag, nack->multiple != 0);
  }
  return true;
}

void AmqpConnection::run_commands() {
  {
    std::lock_guard lock(commands_mutex_);
    running_.swap(commands_);
  }
  for (const Command& command : running_) {
    if (conn_ == nullptr || !current(command.consumer, command.generation)) continue;
    const auto channel = static_cast<amqp_channel_t>(command.consumer + 1);
    int rc = command.kind == Command::Kind::ack
                 ? amqp_basic_ack(conn_, channel, command.tag, 0)
                 : amqp_basic_reject(conn_, channel, command.tag,
                                     command.kind == Command::Kind::requeue ? 1 : 0);
    if (rc != AMQP_STATUS_OK) {
      drop_connection("sending an acknowledgement: " + describe_status(rc));
    }
  }
  running_.clear();
}

bool AmqpConnection::read_frame() {
  amqp_frame_t frame;
  timeval zero{0, 0};
  const int rc = amqp_simple_wait_frame_noblock(conn_, &frame, &zero);
  if (rc == AMQP_STATUS_TIMEOUT) return true;
  if (rc != AMQP_STATUS_OK) {
    const std::string why = describe_status(rc);
    spdlog::warn("rabbitmq {}: connection lost: {}", options_.endpoint.address(), why);
    refresh_status("connection lost: " + why);
    return false;
  }
  if (frame.frame_type != AMQP_FRAME_METHOD) return true;  // a stray header or body: skip
  const amqp_channel_t channel = frame.channel;
  const std::size_t index = channel == 0 ? consumers_.size() : channel - 1u;
  const bool on_publisher = publisher_ && channel == publisher_->channel;
  switch (frame.payload.method.id) {
    case AMQP_BASIC_ACK_METHOD:
    case AMQP_BASIC_NACK_METHOD:
      return on_publisher ? confirm(frame) : true;
    case AMQP_BASIC_DELIVER_METHOD:
      return deliver(frame);
    case AMQP_BASIC_RETURN_METHOD:
      return returned(frame);
    case AMQP_BASIC_CANCEL_METHOD:
      // The queue was deleted: close the channel, set the consumer up again later.
      if (index < consumers_.size()) {
        amqp_channel_close(conn_, channel, AMQP_REPLY_SUCCESS);
        consumer_lost(index, "queue '" + consumers_[index]->spec.queue +
                                 "' cancelled the consumer (deleted?)");
      }
      return true;
    case AMQP_CHANNEL_CLOSE_METHOD: {
      const auto* close = static_cast<amqp_channel_close_t*>(frame.payload.method.decoded);
      const std::string why = std::to_string(close->reply_code) + " " + text_of(close->reply_text);
      if (!acknowledge_channel_close(conn_, channel)) return false;
      if (index < consumers_.size()) consumer_lost(index, "channel closed: " + why);
      if (on_publisher) publisher_lost("channel closed: " + why);
      return true;
    }
    case AMQP_CONNECTION_CLOSE_METHOD: {
      const auto* close = static_cast<amqp_connection_close_t*>(frame.payload.method.decoded);
      const std::string why = std::to_string(close->reply_code) + " " + text_of(close->reply_text);
      amqp_connection_close_ok_t ok{};
      amqp_send_method(conn_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
      spdlog::warn("rabbitmq {}: the server closed the connection: {}",
                   options_.endpoint.address(), why);
      refresh_status("closed by the server: " + why);
      return false;
    }
    default:
      return true;
  }
}

bool AmqpConnection::deliver(const amqp_frame_t& frame) {
  // The method's fields live in the library's buffers, which reading the content recycles:
  // copied first.
  const auto* method = static_cast<const amqp_basic_deliver_t*>(frame.payload.method.decoded);
  AmqpDelivery d;
  d.delivery_tag = method->delivery_tag;
  d.redelivered = method->redelivered != 0;
  d.exchange = text_of(method->exchange);
  d.routing_key = text_of(method->routing_key);
  amqp_message_t message;
  const amqp_rpc_reply_t reply = amqp_read_message(conn_, frame.channel, &message, 0);
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
    const std::string why = describe(reply);
    spdlog::warn("rabbitmq {}: reading a delivery: {}", options_.endpoint.address(), why);
    refresh_status("connection lost: " + why);
    return false;
  }
  if (message.properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG) {
    d.message_id = text_of(message.properties.message_id);
  }
  d.body = text_of(message.body);
  amqp_destroy_message(&message);
  const std::size_t index = frame.channel - 1u;
  if (frame.channel == 0 || index >= consumers_.size()) return true;
  d.consumer = index;
  d.generation = consumers_[index]->generation.load(std::memory_order_relaxed);
  if (d.generation != 0) on_delivery_(std::move(d));
  return true;
}

bool AmqpConnection::returned(const amqp_frame_t& frame) {
  // Copied before the content is read (which recycles the library's buffers), as deliver().
  const auto* method = static_cast<const amqp_basic_return_t*>(frame.payload.method.decoded);
  std::string why = "returned by RabbitMQ: " + std::to_string(method->reply_code) + " " +
                    text_of(method->reply_text) + " (routing key '" +
                    text_of(method->routing_key) + "')";
  amqp_message_t message;
  const amqp_rpc_reply_t reply = amqp_read_message(conn_, frame.channel, &message, 0);
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
    const std::string lost = describe(reply);
    spdlog::warn("rabbitmq {}: reading a returned message: {}", options_.endpoint.address(),
                 lost);
    refresh_status("connection lost: " + lost);
    return false;
  }
  const auto sequence = returned_sequence(message.properties);
  amqp_destroy_message(&message);
  if (sequence && publisher_ && frame.channel == publisher_->channel) {
    publisher_->confirms.returned(*sequence, std::move(why));
  }
  return true;
}

void AmqpConnection::wait_for(milliseconds delay) {
  const auto until = Clock::now() + delay;
  while (!stopping_) {
    const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
    if (left.count() <= 0) return;
    pollfd fd{wake_fd_, POLLIN, 0};
    ::poll(&fd, 1, static_cast<int>(left.count()));
    if (fd.revents & POLLIN) {
      std::uint64_t count;
      [[maybe_unused]] auto n = ::read(wake_fd_, &count, sizeof count);
    }
    // Commands queued while disconnected name a generation that is gone; batches to publish
    // fail at once rather than wait for a connection (the caller retries them).
    {
      std::lock_guard lock(commands_mutex_);
      commands_.clear();
    }
    fail_queued_publishes("not connected: " + status());
    settle_binding_changes_offline("not connected: " + status());
  }
}

}  // namespace switchboard::engine::rabbitmq
