// Redis Pub/Sub over one RedisConnection. See redis_subscriber.hpp for the behaviour.
#include "redis_subscriber.hpp"

#include <hiredis/async.h>

#include <boost/asio/post.hpp>
#include <cstring>
#include <utility>

#include "switchboard/engine/publication.hpp"  // new_epoch: the probe name's random part

namespace switchboard::engine::redis {

namespace asio = boost::asio;

namespace {

// Names per resubscribing SUBSCRIBE: large enough that thousands of channels take a few
// commands, small enough that one command stays a modest buffer (centrifuge uses 512 too).
constexpr std::size_t kResubscribeBatch = 512;

RedisOptions without_ping(RedisOptions options) {
  options.ping_interval = std::chrono::milliseconds(0);
  return options;
}

std::string_view element_text(const redisReply& reply, std::size_t i) {
  const redisReply* e = reply.element[i];
  return e->type == REDIS_REPLY_STRING ? std::string_view(e->str, e->len) : std::string_view();
}

}  // namespace

RedisSubscriber::RedisSubscriber(asio::any_io_executor executor, RedisOptions options,
                                 std::shared_ptr<SubscriberCounters> counters)
    : executor_(executor),
      timer_(executor),
      probe_timer_(executor),
      probe_interval_(options.ping_interval),
      probe_name_("__switchboard_probe:" + new_epoch()),
      counters_(counters ? std::move(counters) : std::make_shared<SubscriberCounters>()),
      conn_(executor, without_ping(std::move(options)),
            std::shared_ptr<RedisConnectionCounters>(counters_, &counters_->connection)) {
  conn_.set_observer(this);
}

SubscriberStats RedisSubscriber::stats() const noexcept {
  const SubscriberCounters& c = *counters_;
  SubscriberStats s;
  s.messages = c.messages.value();
  s.dropped_unwanted = c.dropped_unwanted.value();
  s.rejected_not_connected = c.rejected_not_connected.value();
  s.confirmation_timeouts = c.confirmation_timeouts.value();
  s.resubscribed = c.resubscribed.value();
  s.probes = c.probes.value();
  return s;
}

RedisSubscriber::~RedisSubscriber() {
  conn_.set_observer(nullptr);
  std::vector<Completion> completions;
  for (Kind* kind : {&channels_, &patterns_}) {
    for (auto& [name, sub] : kind->names) {
      for (auto& op : sub.ops) {
        for (auto& done : op.waiters)
          completions.emplace_back(std::move(done), RedisErrc::shut_down);
      }
    }
  }
  post_completions(std::move(completions));
}

bool RedisSubscriber::subscribed(std::string_view name, bool is_pattern) const {
  const Kind& kind = is_pattern ? patterns_ : channels_;
  auto it = kind.names.find(name);
  return it != kind.names.end() && it->second.wanted && it->second.confirmed &&
         it->second.ops.empty();
}

void RedisSubscriber::request(Kind& kind, std::string_view name, bool subscribe, Done done) {
  if (subscribe && conn_.state() != RedisState::connected) {
    counters_->rejected_not_connected.add();
    post_completions({{std::move(done), RedisErrc::not_connected}});
    return;
  }
  auto it = kind.names.find(name);
  if (subscribe) {
    if (it == kind.names.end()) it = kind.names.emplace(std::string(name), Subscription{}).first;
    Subscription& sub = it->second;
    if (sub.wanted && !sub.ops.empty() && sub.ops.back().subscribe) {
      if (done) sub.ops.back().waiters.push_back(std::move(done));  // joins the pending one
    } else if (sub.wanted && sub.confirmed && sub.ops.empty()) {
      post_completions({{std::move(done), {}}});
    } else {
      sub.wanted = true;
      send_op(kind, it->first, sub, true, std::move(done));
    }
    return;
  }
  if (it == kind.names.end()) {
    post_completions({{std::move(done), {}}});  // nothing to undo
    return;
  }
  Subscription& sub = it->second;
  sub.wanted = false;
  sub.acknowledged = false;
  if (!sub.ops.empty() && !sub.ops.back().subscribe) {
    if (done) sub.ops.back().waiters.push_back(std::move(done));
  } else if (sub.on_link) {
    send_op(kind, it->first, sub, false, std::move(done));
  } else {
    post_completions({{std::move(done), {}}});
    forget_if_unused(kind, name);
  }
}

bool RedisSubscriber::send_op(Kind& kind, const std::string& name, Subscription& sub,
                              bool subscribe, Done done) {
  const std::string_view args[] = {subscribe ? kind.subscribe_verb : kind.unsubscribe_verb, name};
  if (!conn_.send_untracked(args, &RedisSubscriber::on_push_cb, this)) {
    if (subscribe) {
      counters_->rejected_not_connected.add();
      sub.wanted = sub.acknowledged;  // a first subscribe that could not be sent is forgotten
    }
    post_completions({{std::move(done),
                       subscribe ? std::error_code(RedisErrc::not_connected) : std::error_code()}});
    forget_if_unused(kind, name);
    return false;
  }
  sub.on_link = subscribe;
  Op op{subscribe, false, {}};
  if (done) op.waiters.push_back(std::move(done));
  sub.ops.push_back(std::move(op));
  add_deadlines(1);
  return true;
}

void RedisSubscriber::forget_if_unused(Kind& kind, std::string_view name) {
  auto it = kind.names.find(name);
  if (it != kind.names.end() && !it->second.wanted && !it->second.on_link && it->second.ops.empty())
    kind.names.erase(it);
}

// --- From hiredis -----------------------------------------------------------------------

void RedisSubscriber::on_push_cb(redisAsyncContext*, void* reply, void* privdata) {
  static_cast<RedisSubscriber*>(privdata)->on_push(static_cast<redisReply*>(reply));
}

void RedisSubscriber::on_push(redisReply* r) {
  // NULL: the context is being freed (link_down() does the bookkeeping). Anything but an
  // array is not a Pub/Sub event.
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
  const std::string_view type = element_text(*r, 0);
  const std::string_view name = element_text(*r, 1);
  if (type == "message") {
    on_delivery(channels_, name, name, element_text(*r, 2));
  } else if (type == "pmessage" && r->elements >= 4) {
    on_delivery(patterns_, name, element_text(*r, 2), element_text(*r, 3));
  } else if ((type == "subscribe" || type == "unsubscribe") && name == probe_name_) {
    on_probe_confirmation(type == "subscribe");
  } else if (type == "subscribe" || type == "unsubscribe") {
    on_confirmation(channels_, name, type == "subscribe");
  } else if (type == "psubscribe" || type == "punsubscribe") {
    on_confirmation(patterns_, name, type == "psubscribe");
  }
}

void RedisSubscriber::on_delivery(Kind& kind, std::string_view name, std::string_view channel,
                                  std::string_view payload) {
  auto it = kind.names.find(name);
  if (it == kind.names.end() || !it->second.wanted) {
    counters_->dropped_unwanted.add();
    return;
  }
  counters_->messages.add();
  if (kind.is_pattern) {
    if (on_pmessage_) on_pmessage_(name, channel, payload);
  } else if (on_message_) {
    on_message_(channel, payload);
  }
}

void RedisSubscriber::on_confirmation(Kind& kind, std::string_view name, bool subscribe) {
  if (!deadlines_.empty()) deadlines_.pop_front();
  auto it = kind.names.find(name);
  if (it == kind.names.end() || it->second.ops.empty()) return;
  Subscription& sub = it->second;
  Op op = std::move(sub.ops.front());
  sub.ops.erase(sub.ops.begin());
  sub.confirmed = subscribe;
  const bool report = subscribe && op.resubscribe && sub.wanted;
  if (subscribe && sub.wanted) sub.acknowledged = true;
  // State first, callers last: a waiter may subscribe or unsubscribe again (even this name).
  const std::string name_copy = report ? std::string(name) : std::string();
  const bool is_pattern = kind.is_pattern;
  forget_if_unused(kind, name);
  if (report) {
    counters_->resubscribed.add();
    if (on_resubscribed_) on_resubscribed_(name_copy, is_pattern);
  }
  for (auto& done : op.waiters) {
    if (done) done({});
  }
}

// --- The link's life --------------------------------------------------------------------

void RedisSubscriber::link_up() {
  arm_probe();
  for (Kind* kind : {&channels_, &patterns_}) {
    std::vector<std::string_view> args{kind->subscribe_verb};
    std::vector<Subscription*> batch;
    auto flush = [&] {
      if (batch.empty()) return;
      if (!conn_.send_untracked(args, &RedisSubscriber::on_push_cb, this)) return;
      for (Subscription* sub : batch) {
        sub->on_link = true;
        sub->ops.push_back(Op{true, true, {}});
      }
      add_deadlines(batch.size());
      args.resize(1);
      batch.clear();
    };
    for (auto& [name, sub] : kind->names) {
      if (!sub.wanted) continue;
      args.push_back(name);
      batch.push_back(&sub);
      if (batch.size() == kResubscribeBatch) flush();
    }
    flush();
  }
}

// The probe: with no confirmation awaited, every probe interval a SUBSCRIBE and then an
// UNSUBSCRIBE of a name nobody publishes to, each due within command_timeout like any other.
// A server that stalled silently (frozen, a dead network path) then resets the link as a late
// confirmation does, instead of waiting for TCP keep-alive.
void RedisSubscriber::arm_probe() {
  if (probe_interval_.count() <= 0) return;
  probe_timer_.expires_after(probe_interval_);
  probe_timer_.async_wait([this, guard = std::weak_ptr<char>(guard_)](const boost::system::error_code& ec) {
    if (guard.expired() || ec == asio::error::operation_aborted) return;
    // Messages since the last tick show the link alive: no probe needed.
    const std::uint64_t messages = counters_->messages.value();
    const bool quiet = messages == messages_at_probe_;
    messages_at_probe_ = messages;
    if (quiet && !probing_ && deadlines_.empty()) {
      const std::string_view args[] = {"SUBSCRIBE", probe_name_};
      if (conn_.send_untracked(args, &RedisSubscriber::on_push_cb, this)) {
        probing_ = true;
        counters_->probes.add();
        add_deadlines(1);
      }
    }
    arm_probe();
  });
}

void RedisSubscriber::on_probe_confirmation(bool subscribed) {
  if (!deadlines_.empty()) deadlines_.pop_front();
  if (!subscribed) {
    probing_ = false;
    return;
  }
  const std::string_view args[] = {"UNSUBSCRIBE", probe_name_};
  if (conn_.send_untracked(args, &RedisSubscriber::on_push_cb, this)) {
    add_deadlines(1);
  } else {
    probing_ = false;
  }
}

void RedisSubscriber::link_down(std::error_code reason) {
  const std::error_code failed =
      reason == RedisErrc::timeout ? RedisErrc::timeout : RedisErrc::connection_lost;
  std::vector<Completion> completions;
  for (Kind* kind : {&channels_, &patterns_}) {
    for (auto it = kind->names.begin(); it != kind->names.end();) {
      Subscription& sub = it->second;
      for (auto& op : sub.ops) {
        // A lost connection holds no subscriptions: an unsubscribe has what it asked for.
        for (auto& done : op.waiters)
          completions.emplace_back(std::move(done), op.subscribe ? failed : std::error_code());
      }
      sub.ops.clear();
      sub.on_link = false;
      sub.confirmed = false;
      if (!sub.acknowledged) sub.wanted = false;  // never confirmed: the subscribe failed
      it = sub.wanted ? std::next(it) : kind->names.erase(it);
    }
  }
  deadlines_.clear();
  timer_.cancel();
  timer_armed_ = false;
  probe_timer_.cancel();
  probing_ = false;
  post_completions(std::move(completions));  // not from inside hiredis's free
}

// --- Confirmation deadlines -------------------------------------------------------------

void RedisSubscriber::add_deadlines(std::size_t count) {
  const auto deadline = Clock::now() + conn_.options().command_timeout;
  deadlines_.insert(deadlines_.end(), count, deadline);
  arm_timer();
}

// Deadlines only grow along the FIFO, so an armed timer is never too late; it re-arms for
// the new front when it fires.
void RedisSubscriber::arm_timer() {
  if (timer_armed_ || deadlines_.empty()) return;
  timer_armed_ = true;
  timer_.expires_at(deadlines_.front());
  timer_.async_wait([this, guard = std::weak_ptr<char>(guard_)](const boost::system::error_code& ec) {
    if (guard.expired() || ec == asio::error::operation_aborted) return;
    timer_armed_ = false;
    on_timer();
  });
}

void RedisSubscriber::on_timer() {
  if (!deadlines_.empty() && deadlines_.front() <= Clock::now()) {
    counters_->confirmation_timeouts.add();
    conn_.break_link(RedisErrc::timeout,
                     "no confirmation of " + std::to_string(deadlines_.size()) +
                         " (un)subscriptions within " +
                         std::to_string(conn_.options().command_timeout.count()) + " ms");
    return;
  }
  arm_timer();
}

void RedisSubscriber::post_completions(std::vector<Completion> completions) {
  if (completions.empty()) return;
  asio::post(executor_, [completions = std::move(completions)] {
    for (const auto& [done, ec] : completions) {
      if (done) done(ec);
    }
  });
}

}  // namespace switchboard::engine::redis
