// The Broker over a history store and a message transport. See relay_broker.hpp.
#include "switchboard/engine/relay/relay_broker.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "offset_sequencer.hpp"
#include "switchboard/engine/publication_codec.hpp"

namespace switchboard::engine::relay {
namespace {

using Clock = OffsetSequencer::Clock;

// What the transport's threads, the gap timer and calls in flight share; it outlives the
// broker while a history or key call still holds it.
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
    const PublicationPtr publication = std::make_shared<const Publication>(std::move(*decoded));
    std::vector<PublicationPtr> deliver;
    OffsetSequencer::Verdict verdict{};
    {
      std::lock_guard lock(mu);
      verdict = sequencer.accept(publication, Clock::now(), deliver);
      stats->held.store(sequencer.held(), std::memory_order_relaxed);
      if (verdict == OffsetSequencer::Verdict::held) timer_cv.notify_one();
    }
    switch (verdict) {
      case OffsetSequencer::Verdict::stale:
        stats->stale.fetch_add(1, std::memory_order_relaxed);
        return;
      case OffsetSequencer::Verdict::held:
        return;
      case OffsetSequencer::Verdict::passed_new_gap:
        gave_up(publication->channel);
        break;
      case OffsetSequencer::Verdict::passed:
        break;
    }
    if (deliver.size() == 1) {
      handler->on_publication(deliver.front());
    } else {
      handler->on_publications(deliver);
    }
  }

  void on_node_message(std::string_view message) override {
    auto decoded = decode_positioned(message);
    if (!decoded) return undecodable();
    handler->on_node_message(std::make_shared<const Publication>(std::move(*decoded)));
  }

  void on_subscription_restored(std::string_view channel) override {
    {
      std::lock_guard lock(mu);
      sequencer.forget(channel);
      stats->held.store(sequencer.held(), std::memory_order_relaxed);
    }
    handler->on_subscription_restored(channel);
  }

  void undecodable() {
    const auto dropped = stats->undecodable.fetch_add(1, std::memory_order_relaxed) + 1;
    if (dropped == 1 || dropped % 1000 == 0) {
      spdlog::warn("relay broker: dropped an undecodable message ({} so far)", dropped);
    }
  }

  void gave_up(std::string_view channel) {
    stats->gaps.fetch_add(1, std::memory_order_relaxed);
    handler->on_subscription_restored(channel);
  }

  // The gap timer: gives up gaps older than gap_timeout, outside the lock for the handler.
  void run_timer() {
    std::unique_lock lock(mu);
    while (!stopping) {
      const auto deadline = sequencer.next_deadline();
      if (!deadline) {
        timer_cv.wait(lock);
        continue;
      }
      if (timer_cv.wait_until(lock, *deadline) == std::cv_status::no_timeout) continue;
      std::vector<std::string> given_up = sequencer.expire(Clock::now());
      stats->held.store(sequencer.held(), std::memory_order_relaxed);
      lock.unlock();
      for (const std::string& channel : given_up) gave_up(channel);
      lock.lock();
    }
  }

  // Sends the stored (or claimed) copy; a failed send gives its key back.
  void send(PublicationPtr publication, ResultCallback<PublicationPtr> done) {
    std::string message = encode_positioned(*publication);
    const std::string channel = publication->channel;
    transport->send(channel, std::move(message),
                    [keys = keys, publication = std::move(publication),
                     done = std::move(done)](std::error_code ec) {
                      if (ec && publication->deduplicated()) keys->release(*publication);
                      if (done) done(ec, ec ? nullptr : publication);
                    });
  }

  std::shared_ptr<BrokerTransport> transport;
  std::shared_ptr<PublishKeys> keys;
  std::shared_ptr<RelayStats> stats;
  BrokerHandler* handler = nullptr;  // set in start(), before the transport delivers

  std::mutex mu;
  std::condition_variable timer_cv;
  bool stopping = false;
  OffsetSequencer sequencer;  // under mu
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
    state_->timer_cv.notify_one();
    if (timer_.joinable()) timer_.join();
  }

  void start(std::string node_id, BrokerHandler& handler) override {
    if (started_.load()) throw std::logic_error("relay broker: started twice");
    state_->handler = &handler;
    state_->transport->start(std::move(node_id), *state_);  // throws when the id is taken
    timer_ = std::thread([state = state_] { state->run_timer(); });
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
                            std::lock_guard lock(state->mu);
                            state->sequencer.seed(channel, result.position);
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
          {
            std::lock_guard lock(state->mu);
            state->sequencer.forget(channel);
            state->stats->held.store(state->sequencer.held(), std::memory_order_relaxed);
          }
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
  std::thread timer_;
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
