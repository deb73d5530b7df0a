// The NATS BrokerTransport (include/switchboard/engine/nats/nats_transport.hpp).
//
// Threads: callers only queue a command (a lock and a notify); the transport's command thread
// ("sb-nats-cmd") runs what may block in the library — subscribing, publishing, the flush
// that tells when the server has them, the unsubscribe wait — in batches: every command
// queued while the previous batch ran shares one flush. The library's delivery pool runs the
// message handlers (channels, the mailbox, answers to send_to_node), its callback thread the
// connection events, which only queue commands.
#include "switchboard/engine/nats/nats_transport.hpp"

#include <nats/nats.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "nats_connection.hpp"
#include "nats_subject.hpp"
#include "switchboard/engine/batched_thread.hpp"

namespace switchboard::engine::nats {
namespace {

using Clock = std::chrono::steady_clock;

// Pending limits per channel subscription: beyond them the library drops the channel's
// messages (counted) rather than buffer without bound for a receiver that does not keep up.
constexpr int kPendingMessages = 10'000;
constexpr int kPendingBytes = 16 * 1024 * 1024;
// start()'s node id probe: an answer within this means the id is taken.
constexpr std::chrono::milliseconds kProbeTimeout{1000};
// How long an unsubscribe waits for a running message handler to return.
constexpr std::chrono::seconds kUnsubscribeTimeout{2};
// A subscription that dropped messages is polled for its count this often until it stops.
constexpr std::chrono::seconds kDropPoll{1};
// The longest subject the transport uses: the server reads a protocol line of at most 4 KiB
// (max_control_line) and closes the connection of a client that sends a longer one, which
// would cost every subscription. A valid channel name (255 bytes, 765 escaped) is far below.
constexpr std::size_t kMaxSubject = 3000;
// The header that marks start()'s probe: answered, not handed to on_node_message.
constexpr const char* kProbeHeader = "Switchboard-Probe";

struct Counters {
  std::atomic<std::uint64_t> sent_channel{0};
  std::atomic<std::uint64_t> sent_node{0};
  std::atomic<std::uint64_t> received_channel{0};
  std::atomic<std::uint64_t> received_node{0};
  std::atomic<std::uint64_t> unknown_node{0};
  std::atomic<std::uint64_t> timeouts{0};
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::uint64_t> subject_too_long{0};   // calls refused: see kMaxSubject
  std::atomic<std::uint64_t> message_too_large{0};  // sends over the server's max_payload
};

struct Command {
  enum class Kind { subscribe, unsubscribe, send, request, answer, restore, poll_drops };
  Kind kind;
  std::string name;  // channel, node id, the subject to answer on, or nothing
  std::string message;
  Completion done;
  natsSubscription* subscription = nullptr;  // poll_drops: the one the library said is slow
};

struct PendingRequest {
  Completion done;
  Clock::time_point deadline;
};

// What the library's threads touch: alive until the last of them is done with it (a handler
// that outlives stop()'s bounded waits keeps a leaked reference).
struct Shared {
  relay::TransportReceiver* receiver = nullptr;
  Counters counters;
  std::mutex mutex;  // the three below
  std::condition_variable wake;
  std::deque<Command> commands;
  std::map<std::uint64_t, PendingRequest> requests;  // by sequence: also by deadline
  bool running = false;                              // start() succeeded: commands are taken
  bool stopping = false;

  // For the library's threads (events, answers): dropped once stop() began.
  void push(Command command) {
    std::unique_lock lock(mutex);
    if (running && !stopping) push_locked(std::move(command), lock);
  }
  // Wakes the command thread only for the first command of a batch: while commands are queued
  // it has been woken already and takes them all at once (no syscall per call).
  void push_locked(Command command, std::unique_lock<std::mutex>& lock) {
    const bool first = commands.empty();
    commands.push_back(std::move(command));
    lock.unlock();
    if (first) wake.notify_one();
  }
};

// One subscribed channel; the command thread's.
struct ChannelSubscription {
  std::shared_ptr<Shared> shared;
  natsSubscription* subscription = nullptr;
  std::promise<void> complete;  // the library ran its last handler for it
  std::int64_t dropped_seen = 0;
  int pending_messages = 0;  // its pending limits
  int pending_bytes = 0;
};

void on_channel_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  // The library's delivery thread relays as the command thread does: SCHED_BATCH lets it
  // gather a worker's turn of messages (batched_thread.hpp). Measured with the command thread
  // batched too, cluster-nats at 1,000 connections: 2.15 -> 3.54 M deliveries/s.
  thread_local const bool batched =
      (run_this_thread_batched("nats transport: a delivery thread"), true);
  (void)batched;
  Shared& shared = *static_cast<ChannelSubscription*>(closure)->shared;
  shared.counters.received_channel.fetch_add(1, std::memory_order_relaxed);
  shared.receiver->on_channel_message(
      {natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg))});
  natsMsg_Destroy(msg);
}

void on_mailbox_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  Shared& shared = *static_cast<ChannelSubscription*>(closure)->shared;
  const char* probe = nullptr;
  if (natsMsgHeader_Get(msg, kProbeHeader, &probe) != NATS_OK) {
    shared.counters.received_node.fetch_add(1, std::memory_order_relaxed);
    shared.receiver->on_node_message(
        {natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg))});
  }
  // The answer tells the sender it arrived (or, to a probe, that the id is taken). Sent by the
  // command thread: a publish takes the connection's lock, which the library holds through
  // each connect attempt while reconnecting, and this delivery thread serves every channel.
  if (const char* reply = natsMsg_GetReply(msg); reply != nullptr && *reply != '\0') {
    shared.push({Command::Kind::answer, reply, {}, {}});
  }
  natsMsg_Destroy(msg);
}

// An answer to one of our send_to_node() requests, on `<inbox>.<sequence>`.
void on_answer(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  Shared& shared = *static_cast<ChannelSubscription*>(closure)->shared;
  const bool no_responders = natsMsg_IsNoResponders(msg);
  const std::string_view subject = natsMsg_GetSubject(msg);
  std::uint64_t sequence = 0;
  const auto dot = subject.rfind('.');
  const auto digits = subject.substr(dot == std::string_view::npos ? 0 : dot + 1);
  const auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), sequence);
  natsMsg_Destroy(msg);
  if (parsed.ec != std::errc()) return;
  std::optional<Completion> done;
  {
    std::lock_guard lock(shared.mutex);
    if (auto it = shared.requests.find(sequence); it != shared.requests.end()) {
      done = std::move(it->second.done);
      shared.requests.erase(it);
    }
  }
  if (!done) return;  // it timed out already
  if (no_responders) shared.counters.unknown_node.fetch_add(1, std::memory_order_relaxed);
  if (*done) (*done)(no_responders ? make_error_code(EngineErrc::unknown_node) : std::error_code());
}

void on_complete(void* closure) {
  static_cast<ChannelSubscription*>(closure)->complete.set_value();
}

void complete(const Completion& done, std::error_code ec) {
  if (done) done(ec);
}

class NatsTransport final : public relay::BrokerTransport {
 public:
  explicit NatsTransport(NatsTransportConfig config);
  ~NatsTransport() override { stop(); }

  void start(std::string node_id, relay::TransportReceiver& receiver) override;
  void stop() override;
  void subscribe(std::string_view channel, Completion done) override {
    queue({Command::Kind::subscribe, std::string(channel), {}, std::move(done)});
  }
  void unsubscribe(std::string_view channel, Completion done) override {
    queue({Command::Kind::unsubscribe, std::string(channel), {}, std::move(done)});
  }
  void send(std::string_view channel, std::string message, Completion done) override {
    queue({Command::Kind::send, std::string(channel), std::move(message), std::move(done)});
  }
  void send_to_node(std::string_view node_id, std::string message, Completion done) override {
    queue({Command::Kind::request, std::string(node_id), std::move(message), std::move(done)});
  }
  std::vector<BackendHealth> health() const override;
  void write_metrics(MetricsSink& sink) const override;

 private:
  // A command for the command thread; before start() and after stop(), `unavailable` at once.
  void queue(Command command);
  void run();
  void run_batch(std::deque<Command>& batch);
  std::unique_ptr<ChannelSubscription> subscribe_to(const std::string& subject,
                                                    natsMsgHandler handler, int pending_messages,
                                                    int pending_bytes);
  // Unsubscribes and frees once no handler runs for it any more (leaked if that takes long).
  void release(std::unique_ptr<ChannelSubscription> channel);
  void poll_drops(ChannelSubscription& channel);
  // A subject the server would not take (counted, logged once), and a publish it refused.
  bool refused_subject(const std::string& subject);
  void count_refused_message(natsStatus s);
  void poll_slow_channels();
  bool still_slow(ChannelSubscription& channel);  // polls its count: keep polling it?
  bool polling_drops() const { return !slow_.empty() || mailbox_slow_; }
  bool probe_node_id();

  NatsTransportConfig config_;
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<NatsConnection> connection_;
  std::string node_id_;
  std::string inbox_;  // answers to our requests come to <inbox_>.<sequence>
  std::uint64_t next_request_ = 0;
  std::unique_ptr<ChannelSubscription> mailbox_;
  std::unique_ptr<ChannelSubscription> answers_;
  // The command thread's: subscribed channels, and those the library said dropped messages.
  std::unordered_map<std::string, std::unique_ptr<ChannelSubscription>> channels_;
  std::unordered_set<std::string> slow_;
  bool mailbox_slow_ = false;
  Clock::time_point next_drop_poll_{};
  std::thread thread_;
  std::mutex lifecycle_;  // start() and stop()
  bool started_ = false;
  bool stopped_ = false;
};

NatsTransport::NatsTransport(NatsTransportConfig config)
    : config_(std::move(config)), shared_(std::make_shared<Shared>()) {
  std::weak_ptr<Shared> weak = shared_;
  NatsConnectionOptions options;
  options.urls = config_.url;
  options.client_name = "switchboard broker";
  options.connect_timeout = config_.timeout;
  options.global_delivery = true;
  options.on_connected = [weak] {
    // The library subscribed everything again: report each channel once the server has them.
    if (auto shared = weak.lock()) shared->push({Command::Kind::restore, {}, {}, {}});
  };
  options.on_error = [weak](natsSubscription* subscription, natsStatus s) {
    if (s != NATS_SLOW_CONSUMER) return;
    if (auto shared = weak.lock()) {
      Command poll{Command::Kind::poll_drops, {}, {}, {}};
      poll.subscription = subscription;
      shared->push(std::move(poll));
    }
  };
  connection_ = std::make_unique<NatsConnection>(std::move(options));
}

void NatsTransport::start(std::string node_id, relay::TransportReceiver& receiver) {
  std::lock_guard lifecycle(lifecycle_);
  if (started_ || stopped_) return;
  node_id_ = std::move(node_id);
  shared_->receiver = &receiver;
  if (node_subject(config_.prefix, node_id_).size() > kMaxSubject) {
    throw std::invalid_argument("nats: the node id is too long for a subject");
  }
  // A start() that threw may be called again: the connection stays, the id is asked anew.
  if (connection_->get() == nullptr && !connection_->open()) {
    throw std::invalid_argument("nats: cannot start the NATS client for " + config_.url + ": " +
                                connection_->health({}).detail);
  }
  if (connection_->up() && probe_node_id()) {
    throw std::invalid_argument("nats: node id '" + node_id_ +
                                "' is taken: another running node answers on its mailbox");
  }
  started_ = true;
  natsInbox* inbox = nullptr;
  natsInbox_Create(&inbox);
  inbox_ = inbox;
  natsInbox_Destroy(inbox);
  // The library keeps these two across reconnects, and sends them once a first connect made
  // in the background succeeds. The mailbox gets the library's default pending limits.
  mailbox_ = subscribe_to(node_subject(config_.prefix, node_id_), on_mailbox_message, 65'536,
                          64 * 1024 * 1024);
  answers_ = subscribe_to(inbox_ + ".*", on_answer, 65'536, 64 * 1024 * 1024);
  if (mailbox_ == nullptr || answers_ == nullptr) {
    spdlog::error("nats {}: cannot subscribe to the node mailbox", connection_->servers());
  }
  if (connection_->up()) natsConnection_FlushTimeout(connection_->get(), config_.timeout.count());
  {
    std::lock_guard lock(shared_->mutex);
    shared_->running = true;
  }
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sb-nats-cmd");
    // Workers post calls to it: not preempting them on wake-up, it finds a whole turn's calls
    // queued and gives them one flush (batched_thread.hpp).
    run_this_thread_batched("nats transport: the command thread");
    run();
  });
}

bool NatsTransport::probe_node_id() {
  const std::string subject = node_subject(config_.prefix, node_id_);
  natsMsg* probe = nullptr;
  natsMsg* answer = nullptr;
  if (natsMsg_Create(&probe, subject.c_str(), nullptr, nullptr, 0) != NATS_OK) return false;
  natsMsgHeader_Set(probe, kProbeHeader, "1");
  const auto timeout = std::min(config_.timeout, kProbeTimeout);
  const natsStatus s =
      natsConnection_RequestMsg(&answer, connection_->get(), probe, timeout.count());
  natsMsg_Destroy(probe);
  if (answer != nullptr) natsMsg_Destroy(answer);
  if (s != NATS_OK && s != NATS_NO_RESPONDERS) {
    spdlog::warn("nats {}: the node id check for '{}' got no answer ({}): assumed free",
                 connection_->servers(), node_id_, natsStatus_GetText(s));
  }
  return s == NATS_OK;
}

std::unique_ptr<ChannelSubscription> NatsTransport::subscribe_to(const std::string& subject,
                                                                 natsMsgHandler handler,
                                                                 int pending_messages,
                                                                 int pending_bytes) {
  auto channel = std::make_unique<ChannelSubscription>();
  channel->shared = shared_;
  natsStatus s = natsConnection_Subscribe(&channel->subscription, connection_->get(),
                                          subject.c_str(), handler, channel.get());
  if (s != NATS_OK) {
    spdlog::warn("nats {}: cannot subscribe to {}: {}", connection_->servers(), subject,
                 natsStatus_GetText(s));
    return nullptr;
  }
  natsSubscription_SetPendingLimits(channel->subscription, pending_messages, pending_bytes);
  channel->pending_messages = pending_messages;
  channel->pending_bytes = pending_bytes;
  natsSubscription_SetOnCompleteCB(channel->subscription, on_complete, channel.get());
  return channel;
}

void NatsTransport::release(std::unique_ptr<ChannelSubscription> channel) {
  if (channel == nullptr) return;
  auto complete = channel->complete.get_future();
  natsSubscription_Unsubscribe(channel->subscription);
  if (complete.wait_for(kUnsubscribeTimeout) != std::future_status::ready) {
    spdlog::warn("nats {}: a subscription's message handler did not return in time",
                 connection_->servers());
    (void)channel.release();  // its handler may still run: it keeps `shared` alive
    return;
  }
  poll_drops(*channel);
  natsSubscription_Destroy(channel->subscription);
}

void NatsTransport::queue(Command command) {
  {
    std::unique_lock lock(shared_->mutex);
    if (shared_->running && !shared_->stopping)
      return shared_->push_locked(std::move(command), lock);
  }
  complete(command.done, EngineErrc::unavailable);
}

void NatsTransport::run() {
  Shared& shared = *shared_;
  std::deque<Command> batch;
  std::vector<Completion> expired;
  std::unique_lock lock(shared.mutex);
  while (true) {
    auto ready = [&] {
      const auto now = Clock::now();
      return shared.stopping || !shared.commands.empty() ||
             (!shared.requests.empty() && shared.requests.begin()->second.deadline <= now) ||
             (polling_drops() && next_drop_poll_ <= now);
    };
    std::optional<Clock::time_point> deadline;
    if (!shared.requests.empty()) deadline = shared.requests.begin()->second.deadline;
    if (polling_drops())
      deadline = deadline ? std::min(*deadline, next_drop_poll_) : next_drop_poll_;
    if (deadline) {
      shared.wake.wait_until(lock, *deadline, ready);
    } else {
      shared.wake.wait(lock, ready);
    }
    if (shared.stopping) break;
    batch.swap(shared.commands);
    const auto now = Clock::now();
    while (!shared.requests.empty() && shared.requests.begin()->second.deadline <= now) {
      expired.push_back(std::move(shared.requests.begin()->second.done));
      shared.requests.erase(shared.requests.begin());
    }
    lock.unlock();
    for (auto& done : expired) {
      shared.counters.timeouts.fetch_add(1, std::memory_order_relaxed);
      complete(done, EngineErrc::timeout);
    }
    expired.clear();
    run_batch(batch);
    batch.clear();
    if (polling_drops() && next_drop_poll_ <= Clock::now()) poll_slow_channels();
    lock.lock();
  }
  // Stopping: what is still queued or waiting for an answer fails.
  batch.swap(shared.commands);
  for (auto& [sequence, request] : shared.requests) expired.push_back(std::move(request.done));
  shared.requests.clear();
  lock.unlock();
  for (auto& command : batch) complete(command.done, EngineErrc::unavailable);
  for (auto& done : expired) complete(done, EngineErrc::unavailable);
}

void NatsTransport::run_batch(std::deque<Command>& batch) {
  natsConnection* nc = connection_->get();
  // The connection events first: while the library retries a server it holds the connection's
  // lock through each TCP connect (up to `timeout` for an unreachable host), and
  // natsConnection_Status would wait for it. The status then covers the moment between a
  // disconnect and its event.
  const bool connected =
      nc != nullptr && connection_->up() && natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED;
  // Each command's completion, in command order, once the batch's flush answered; `flushed`
  // marks those whose effect needs the flush.
  struct Outcome {
    Completion done;
    std::error_code ec;
    bool flushed = false;
  };
  std::vector<Outcome> outcomes;
  outcomes.reserve(batch.size());
  std::vector<std::string> created;   // channels subscribed by this batch
  std::vector<std::string> restored;  // to report once flushed
  bool restore = false;
  bool flush = false;
  // Requests and answers need no confirmation, but the library's flusher thread would hold
  // them ~1 ms to gather more (it waits 1 ms before each write): a flush writes them at once.
  bool written_now = false;
  for (auto& command : batch) {
    switch (command.kind) {
      case Command::Kind::subscribe: {
        if (!connected) {
          outcomes.push_back({std::move(command.done), EngineErrc::unavailable});
          break;
        }
        if (channels_.contains(command.name)) {
          const bool pending =
              std::find(created.begin(), created.end(), command.name) != created.end();
          outcomes.push_back({std::move(command.done), {}, pending});
          break;
        }
        const std::string subject = channel_subject(config_.prefix, command.name);
        if (refused_subject(subject)) {
          outcomes.push_back({std::move(command.done), EngineErrc::unavailable});
          break;
        }
        auto channel = subscribe_to(subject, on_channel_message, kPendingMessages, kPendingBytes);
        if (channel == nullptr) {
          outcomes.push_back({std::move(command.done), EngineErrc::unavailable});
          break;
        }
        channels_.emplace(command.name, std::move(channel));
        created.push_back(command.name);
        outcomes.push_back({std::move(command.done), {}, true});
        flush = true;
        break;
      }
      case Command::Kind::unsubscribe: {
        if (auto it = channels_.find(command.name); it != channels_.end()) {
          auto channel = std::move(it->second);
          channels_.erase(it);
          slow_.erase(command.name);
          std::erase(created, command.name);
          release(std::move(channel));
        }
        outcomes.push_back({std::move(command.done), {}});
        break;
      }
      case Command::Kind::send: {
        if (!connected) {
          outcomes.push_back({std::move(command.done), EngineErrc::unavailable});
          break;
        }
        const std::string subject = channel_subject(config_.prefix, command.name);
        if (refused_subject(subject)) {
          outcomes.push_back({std::move(command.done), EngineErrc::unavailable});
          break;
        }
        const natsStatus s = natsConnection_Publish(nc, subject.c_str(), command.message.data(),
                                                    static_cast<int>(command.message.size()));
        if (s != NATS_OK) {
          count_refused_message(s);
          outcomes.push_back({std::move(command.done), EngineErrc::unavailable});
          break;
        }
        shared_->counters.sent_channel.fetch_add(1, std::memory_order_relaxed);
        outcomes.push_back({std::move(command.done), {}, true});
        flush = true;
        break;
      }
      case Command::Kind::request: {
        if (!connected) {
          outcomes.push_back({std::move(command.done), EngineErrc::unavailable});
          break;
        }
        const std::string subject = node_subject(config_.prefix, command.name);
        if (refused_subject(subject)) {
          outcomes.push_back({std::move(command.done), EngineErrc::unavailable});
          break;
        }
        const std::uint64_t sequence = ++next_request_;
        const std::string reply = inbox_ + "." + std::to_string(sequence);
        {
          std::lock_guard lock(shared_->mutex);
          shared_->requests.emplace(
              sequence, PendingRequest{std::move(command.done), Clock::now() + config_.timeout});
        }
        const natsStatus s = natsConnection_PublishRequest(
            nc, subject.c_str(), reply.c_str(), command.message.data(),
            static_cast<int>(command.message.size()));
        if (s != NATS_OK) {
          // Not sent: take it back (no answer can have come).
          count_refused_message(s);
          std::lock_guard lock(shared_->mutex);
          if (auto it = shared_->requests.find(sequence); it != shared_->requests.end()) {
            outcomes.push_back({std::move(it->second.done), EngineErrc::unavailable});
            shared_->requests.erase(it);
          }
          break;
        }
        shared_->counters.sent_node.fetch_add(1, std::memory_order_relaxed);
        written_now = true;
        break;
      }
      case Command::Kind::answer:
        // Without a connection the sender's request times out (it cannot have its answer).
        if (connected) natsConnection_Publish(nc, command.name.c_str(), nullptr, 0);
        written_now = connected;
        break;
      case Command::Kind::restore:
        if (!connected) break;  // another reconnect will come, and its own restore
        restore = true;
        flush = true;
        restored.clear();
        for (const auto& [name, channel] : channels_) restored.push_back(name);
        break;
      case Command::Kind::poll_drops:
        for (auto& [name, channel] : channels_) {
          if (channel->subscription != command.subscription) continue;
          slow_.insert(name);
          poll_drops(*channel);
        }
        if (mailbox_ != nullptr && mailbox_->subscription == command.subscription) {
          mailbox_slow_ = true;
          poll_drops(*mailbox_);
        }
        next_drop_poll_ = Clock::now() + kDropPoll;
        break;
    }
  }
  natsStatus flushed = NATS_OK;
  if (flush) {
    flushed = natsConnection_FlushTimeout(nc, config_.timeout.count());
  } else if (written_now) {
    // Its result does not matter: a request has its own deadline.
    (void)natsConnection_FlushTimeout(nc, config_.timeout.count());
  }
  if (flushed != NATS_OK) {
    // The server may have had them (a timeout, or the link lost while waiting): `timeout`,
    // the effect is unknown. Channels this batch subscribed are not kept.
    const std::error_code ec = flushed == NATS_CONNECTION_CLOSED
                                   ? make_error_code(EngineErrc::unavailable)
                                   : make_error_code(EngineErrc::timeout);
    for (auto& outcome : outcomes) {
      if (outcome.flushed) outcome.ec = ec;
    }
    for (const auto& name : created) {
      if (auto it = channels_.find(name); it != channels_.end()) {
        auto channel = std::move(it->second);
        channels_.erase(it);
        release(std::move(channel));
      }
    }
    spdlog::warn("nats {}: flush failed: {}", connection_->servers(), natsStatus_GetText(flushed));
  }
  for (auto& outcome : outcomes) {
    if (outcome.ec == make_error_code(EngineErrc::timeout)) {
      shared_->counters.timeouts.fetch_add(1, std::memory_order_relaxed);
    }
    complete(outcome.done, outcome.ec);
  }
  // Reported after a timed-out flush too (the subscriptions are most likely in place, and a
  // report at worst makes the node recover from history needlessly); not once the link went
  // down again: the next reconnect reports.
  if (restore && (flushed == NATS_OK || flushed == NATS_TIMEOUT)) {
    for (const auto& name : restored) {
      if (channels_.contains(name)) shared_->receiver->on_subscription_restored(name);
    }
  }
}

bool NatsTransport::refused_subject(const std::string& subject) {
  if (subject.size() <= kMaxSubject) return false;
  if (shared_->counters.subject_too_long.fetch_add(1, std::memory_order_relaxed) == 0) {
    spdlog::warn(
        "nats {}: refused a channel or node id whose subject has {} bytes (at most {}; "
        "counted in switchboard_broker_nats_refused_total, logged once)",
        connection_->servers(), subject.size(), kMaxSubject);
  }
  return true;
}

void NatsTransport::count_refused_message(natsStatus s) {
  if (s == NATS_MAX_PAYLOAD) {
    shared_->counters.message_too_large.fetch_add(1, std::memory_order_relaxed);
  }
}

void NatsTransport::poll_drops(ChannelSubscription& channel) {
  std::int64_t dropped = 0;
  if (natsSubscription_GetDropped(channel.subscription, &dropped) != NATS_OK) return;
  if (dropped > channel.dropped_seen) {
    shared_->counters.dropped.fetch_add(static_cast<std::uint64_t>(dropped - channel.dropped_seen),
                                        std::memory_order_relaxed);
    channel.dropped_seen = dropped;
  }
}

bool NatsTransport::still_slow(ChannelSubscription& channel) {
  // The library reports a slow consumer once, at its first drop, and again only after it
  // accepted a message. So a subscription stays polled while its count grows or its pending
  // queue is full (the next message would be dropped unreported).
  const auto before = channel.dropped_seen;
  poll_drops(channel);
  int messages = 0;
  int bytes = 0;
  natsSubscription_GetPending(channel.subscription, &messages, &bytes);
  const bool full = messages >= channel.pending_messages || bytes >= channel.pending_bytes;
  return channel.dropped_seen != before || full;
}

void NatsTransport::poll_slow_channels() {
  for (auto it = slow_.begin(); it != slow_.end();) {
    auto channel = channels_.find(*it);
    it = channel != channels_.end() && still_slow(*channel->second) ? std::next(it)
                                                                    : slow_.erase(it);
  }
  if (mailbox_slow_) mailbox_slow_ = still_slow(*mailbox_);
  next_drop_poll_ = Clock::now() + kDropPoll;
}

void NatsTransport::stop() {
  std::lock_guard lifecycle(lifecycle_);
  if (!started_ || stopped_) {
    stopped_ = true;
    connection_->close();  // a start() that threw may have left it open
    return;
  }
  stopped_ = true;
  {
    std::lock_guard lock(shared_->mutex);
    shared_->stopping = true;
  }
  shared_->wake.notify_one();
  if (thread_.joinable()) thread_.join();
  for (auto& [name, channel] : channels_) release(std::move(channel));
  channels_.clear();
  release(std::move(mailbox_));
  release(std::move(answers_));
  connection_->close();
}

std::vector<BackendHealth> NatsTransport::health() const {
  return {connection_->health("nats " + connection_->servers())};
}

void NatsTransport::write_metrics(MetricsSink& sink) const {
  using Type = MetricsSink::Type;
  const Counters& c = shared_->counters;
  sink.family("switchboard_broker_nats_sent_total", Type::counter,
              "Messages the NATS broker transport sent: to a channel's subject, or to a node's "
              "mailbox (send-to-node requests).");
  sink.sample("switchboard_broker_nats_sent_total", c.sent_channel, {{"kind", "channel"}});
  sink.sample("switchboard_broker_nats_sent_total", c.sent_node, {{"kind", "node"}});
  sink.family("switchboard_broker_nats_received_total", Type::counter,
              "Messages the NATS broker transport received for subscribed channels and on this "
              "node's mailbox.");
  sink.sample("switchboard_broker_nats_received_total", c.received_channel, {{"kind", "channel"}});
  sink.sample("switchboard_broker_nats_received_total", c.received_node, {{"kind", "node"}});
  sink.family("switchboard_broker_nats_unknown_node_total", Type::counter,
              "Send-to-node requests no node was listening for (NATS no responders).");
  sink.sample("switchboard_broker_nats_unknown_node_total", c.unknown_node, {});
  sink.family("switchboard_broker_nats_timeouts_total", Type::counter,
              "Calls the NATS server did not confirm in time (flush or send-to-node answer).");
  sink.sample("switchboard_broker_nats_timeouts_total", c.timeouts, {});
  sink.family("switchboard_broker_nats_reconnects_total", Type::counter,
              "Connections to NATS made again after one was lost.");
  const std::uint64_t connects = connection_->connects();
  sink.sample("switchboard_broker_nats_reconnects_total", connects > 0 ? connects - 1 : 0, {});
  sink.family("switchboard_broker_nats_dropped_total", Type::counter,
              "Messages the NATS client library dropped because this node did not keep up "
              "with a subscription (more than 10,000 messages or 16 MiB pending).");
  sink.sample("switchboard_broker_nats_dropped_total", c.dropped, {{"reason", "slow_consumer"}});
  sink.family("switchboard_broker_nats_refused_total", Type::counter,
              "Calls the NATS broker transport refused with unavailable: a channel or node id "
              "whose subject would exceed 3,000 bytes, a message over the server's "
              "max_payload.");
  sink.sample("switchboard_broker_nats_refused_total", c.subject_too_long,
              {{"reason", "subject_too_long"}});
  sink.sample("switchboard_broker_nats_refused_total", c.message_too_large,
              {{"reason", "message_too_large"}});
}

}  // namespace

std::shared_ptr<relay::BrokerTransport> make_nats_transport(const NatsTransportConfig& config) {
  // An empty list would make the library try its default, nats://localhost:4222.
  if (config.url.empty()) throw std::invalid_argument("nats: no server address");
  if (auto problem = subject_prefix_problem(config.prefix)) {
    throw std::invalid_argument("nats: " + *problem);
  }
  return std::make_shared<NatsTransport>(config);
}

}  // namespace switchboard::engine::nats
