// The Broker over a history store and a message transport. See relay_broker.hpp.
#include "switchboard/engine/relay/relay_broker.hpp"

#include <spdlog/spdlog.h>

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <string>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "offset_sequencer.hpp"
#include "switchboard/engine/batched_thread.hpp"
#include "switchboard/engine/publication_codec.hpp"

namespace switchboard::engine::relay {
namespace {

using Clock = OffsetSequencer::Clock;

// What arrived, in arrival order, for the delivery thread: a publication of a channel, a node
// message, a restored subscription; and what the broker's own calls tell the sequencer.
struct Arrival {
  enum class Kind : std::uint8_t { publication, node_message, restored, seed, forget } kind;
  PublicationPtr publication;  // publication, node_message
  std::string channel;         // restored, seed, forget
  StreamPosition position;     // seed
};

// What the transport's threads, the delivery thread and calls in flight share; it outlives
// the broker while a history or key call still holds it.
//
// The transport's threads decode and queue; one delivery thread ("sb-relay") runs the
// sequencer over everything queued since it last looked and hands the node what passed in one
// on_publications() call: under load many arrivals share one hand-over (one post per worker,
// fuller writes), as a Redis read does. It also gives up gaps on time. The sequencer is the
// delivery thread's alone.
struct State final : TransportReceiver {
  State(std::shared_ptr<BrokerTransport> t, std::shared_ptr<PublishKeys> k,
        const RelayBrokerOptions& options)
      : transport(std::move(t)),
        keys(std::move(k)),
        stats(options.stats ? options.stats : std::make_shared<RelayStats>()),
        sequencer(options.gap_timeout) {}

  void on_channel_message(std::string_view message) override {
    auto decoded = decode_positioned(message);
    if (!decoded) return undecodable();
    queue({Arrival::Kind::publication, std::make_shared<const Publication>(std::move(*decoded))});
  }

  void on_node_message(std::string_view message) override {
    auto decoded = decode_positioned(message);
    if (!decoded) return undecodable();
    queue({Arrival::Kind::node_message, std::make_shared<const Publication>(std::move(*decoded))});
  }

  void on_subscription_restored(std::string_view channel) override {
    queue({Arrival::Kind::restored, nullptr, std::string(channel)});
  }

  void queue(Arrival arrival) {
    bool was_empty = false;
    {
      std::lock_guard lock(mu);
      was_empty = arrivals.empty();
      arrivals.push_back(std::move(arrival));
    }
    if (was_empty) wake.notify_one();
  }

  void undecodable() {
    const auto dropped = stats->undecodable.fetch_add(1, std::memory_order_relaxed) + 1;
    if (dropped == 1 || dropped % 1000 == 0) {
      spdlog::warn("relay broker: dropped an undecodable message ({} so far)", dropped);
    }
  }

  // The delivery thread: what is queued, in order; then gaps whose time is up.
  void run() {
    std::vector<Arrival> taken;
    std::unique_lock lock(mu);
    while (true) {
      if (arrivals.empty() && !stopping) {
        if (const auto deadline = sequencer.next_deadline()) {
          wake.wait_until(lock, *deadline);
        } else {
          wake.wait(lock);
        }
      }
      if (stopping) return;
      taken.swap(arrivals);
      lock.unlock();
      hand_over(taken);
      taken.clear();
      for (const std::string& channel : sequencer.expire(Clock::now())) gave_up(channel);
      stats->held.store(sequencer.held(), std::memory_order_relaxed);
      lock.lock();
    }
  }

  void hand_over(std::vector<Arrival>& taken) {
    const auto now = Clock::now();
    for (Arrival& a : taken) {
      switch (a.kind) {
        case Arrival::Kind::publication:
          accept(a.publication, now);
          break;
        case Arrival::Kind::node_message:
          pass_on();  // in order with the publications before it
          handler->on_node_message(a.publication);
          break;
        case Arrival::Kind::restored:
          pass_on();
          sequencer.forget(a.channel);
          handler->on_subscription_restored(a.channel);
          break;
        case Arrival::Kind::seed:
          sequencer.seed(a.channel, a.position);
          break;
        case Arrival::Kind::forget:
          sequencer.forget(a.channel);
          break;
      }
    }
    pass_on();
  }

  void accept(const PublicationPtr& publication, Clock::time_point now) {
    switch (sequencer.accept(publication, now, passed)) {
      case OffsetSequencer::Verdict::stale:
        stats->stale.fetch_add(1, std::memory_order_relaxed);
        break;
      case OffsetSequencer::Verdict::passed_new_gap:
        // What passed before it first, then the channel's recovery, then it (already in
        // `passed`: handed over after the restore, which is what a recovering subscriber
        // expects to see last).
        {
          PublicationPtr newest = std::move(passed.back());
          passed.pop_back();
          pass_on();
          gave_up(publication->channel);
          passed.push_back(std::move(newest));
        }
        break;
      case OffsetSequencer::Verdict::held:
      case OffsetSequencer::Verdict::passed:
        break;
    }
  }

  // Hands what passed to the node in one call.
  void pass_on() {
    if (passed.empty()) return;
    if (passed.size() == 1) {
      handler->on_publication(passed.front());
    } else {
      handler->on_publications(passed);
    }
    passed.clear();
  }

  void gave_up(std::string_view channel) {
    stats->gaps.fetch_add(1, std::memory_order_relaxed);
    handler->on_subscription_restored(channel);
  }

  // Sends the stored (or claimed) copy; a failed send gives its key back.
  // `publication` (held by the caller for the call) keeps the channel's view valid; the
  // completion holds its own reference.
  void send(const PublicationPtr& publication, ResultCallback<PublicationPtr> done) {
    transport->send(publication->channel, encode_positioned(*publication),
                    [keys = keys, publication, done = std::move(done)](std::error_code ec) {
                      if (ec && publication->deduplicated()) keys->release(*publication);
                      if (done) done(ec, ec ? nullptr : publication);
                    });
  }

  std::shared_ptr<BrokerTransport> transport;
  std::shared_ptr<PublishKeys> keys;
  std::shared_ptr<RelayStats> stats;
  BrokerHandler* handler = nullptr;  // set in start(), before the transport delivers

  std::mutex mu;
  std::condition_variable wake;
  bool stopping = false;           // under mu
  std::vector<Arrival> arrivals;   // under mu

  // The delivery thread's.
  OffsetSequencer sequencer;
  std::vector<PublicationPtr> passed;
};

class RelayBroker final : public Broker {
 public:
  RelayBroker(std::shared_ptr<BrokerTransport> transport, HistoryStore& history,
              std::shared_ptr<PublishKeys> keys, const RelayBrokerOptions& options)
      : history_(history),
        state_(std::make_shared<State>(std::move(transport), std::move(keys), options)) {}

  ~RelayBroker() override {
    state_->transport->stop();
    {
      std::lock_guard lock(state_->mu);
      state_->stopping = true;
    }
    state_->wake.notify_one();
    if (delivery_.joinable()) delivery_.join();
  }

  void start(std::string node_id, BrokerHandler& handler) override {
    if (started_.load()) throw std::logic_error("relay broker: started twice");
    state_->handler = &handler;
    state_->transport->start(std::move(node_id), *state_);  // throws when the id is taken
    delivery_ = std::thread([state = state_] {
      pthread_setname_np(pthread_self(), "sb-relay");
      run_this_thread_batched("relay broker: the delivery thread");
      state->run();
    });
    started_.store(true);
  }

  void subscribe(std::string_view channel, Completion done) override {
    if (!started_.load()) return fail(done);
    // Once the transport delivers the channel, the history's position tells the sequencer
    // which offset comes next, so that an early n + 1 from another node waits for n.
    state_->transport->subscribe(
        channel, [state = state_, history = &history_, channel = std::string(channel),
                  done = std::move(done)](std::error_code ec) mutable {
          if (ec) {
            if (done) done(ec);
            return;
          }
          history->read(channel, std::nullopt, 0,
                        [state, channel, done = std::move(done)](std::error_code read_ec,
                                                                 HistoryResult result) {
                          if (!read_ec) {
                            state->queue({Arrival::Kind::seed, nullptr, channel, result.position});
                          }
                          // Subscribed either way: without the position the first arrival
                          // sets the order.
                          if (done) done({});
                        });
        });
  }

  void unsubscribe(std::string_view channel, Completion done) override {
    if (!started_.load()) return fail(done);
    state_->transport->unsubscribe(
        channel, [state = state_, channel = std::string(channel),
                  done = std::move(done)](std::error_code ec) {
          state->queue({Arrival::Kind::forget, nullptr, channel});
          if (done) done(ec);
        });
  }

  void publish(Publication publication, const HistoryOptions& history,
               ResultCallback<PublicationPtr> done) override {
    if (!started_.load()) {
      if (done) done(EngineErrc::not_started, nullptr);
      return;
    }
    if (history.size > 0) {
      // Stored first (a key checked and taken in the same step): the stored copy travels.
      auto stored_then_sent = [state = state_, done = std::move(done)](
                                  std::error_code ec, PublicationPtr stored) mutable {
        if (ec || stored->duplicate) {
          if (done) done(ec, ec ? nullptr : std::move(stored));
          return;
        }
        state->send(std::move(stored), std::move(done));
      };
      if (publication.deduplicated()) {
        state_->keys->append(std::move(publication), history, std::move(stored_then_sent));
      } else {
        history_.append(std::move(publication), history, std::move(stored_then_sent));
      }
      return;
    }
    auto given = std::make_shared<const Publication>(std::move(publication));
    if (!given->deduplicated()) return state_->send(std::move(given), std::move(done));
    state_->keys->claim(
        *given, [state = state_, given, done = std::move(done)](
                    std::error_code ec, std::optional<StreamPosition> holder) mutable {
          if (ec) {
            if (done) done(ec, nullptr);
            return;
          }
          if (holder) {
            if (done) done({}, duplicate_of(*given, std::move(*holder)));
            return;
          }
          state->send(std::move(given), std::move(done));
        });
  }

  void publish_to_node(std::string_view node_id, const PublicationPtr& publication,
                       Completion done) override {
    if (!started_.load()) return fail(done);
    state_->transport->send_to_node(node_id, encode_positioned(*publication), std::move(done));
  }

 private:
  static void fail(const Completion& done) {
    if (done) done(EngineErrc::not_started);
  }

  HistoryStore& history_;
  std::shared_ptr<State> state_;
  std::atomic<bool> started_{false};
  std::thread delivery_;  // the delivery thread (State::run)
};

}  // namespace

std::unique_ptr<Broker> make_relay_broker(std::shared_ptr<BrokerTransport> transport,
                                          HistoryStore& history, std::shared_ptr<PublishKeys> keys,
                                          RelayBrokerOptions options) {
  return std::make_unique<RelayBroker>(std::move(transport), history, std::move(keys), options);
}

void write_relay_metrics(const RelayStats& stats, MetricsSink& sink) {
  using Type = MetricsSink::Type;
  sink.family("switchboard_broker_dropped_total", Type::counter,
              "Messages the relay broker received and dropped, by reason: undecodable (not in "
              "this version's format), stale (an offset already delivered: a duplicate, or late "
              "after its gap was given up).");
  sink.sample("switchboard_broker_dropped_total", stats.undecodable.load(),
              {{"reason", "undecodable"}});
  sink.sample("switchboard_broker_dropped_total", stats.stale.load(), {{"reason", "stale"}});
  sink.family("switchboard_broker_gaps_total", Type::counter,
              "Offset gaps the relay broker gave up after gap_timeout (or at a new epoch): the "
              "node recovered the channel's subscribers from history.");
  sink.sample("switchboard_broker_gaps_total", stats.gaps.load(), {});
  sink.family("switchboard_broker_held", Type::gauge,
              "Publications the relay broker holds until an earlier offset of their channel "
              "arrives.");
  sink.sample("switchboard_broker_held", stats.held.load(), {});
}

}  // namespace switchboard::engine::relay
