#include "nats_source.hpp"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <future>

namespace switchboard::ingress {

namespace asio = boost::asio;

// Written by the library's threads (connection events) and read by any.
struct NatsIngressSource::Shared {
  asio::any_io_executor executor;
  Handoff* handoff = nullptr;         // used on the ingress thread only, while not stopped
  std::atomic<bool> stopped{false};   // set on the ingress thread before anything is freed
  std::atomic<bool> up{false};
  std::atomic<std::uint64_t> connects{0};
  std::atomic<std::uint64_t> dropped{0};
  std::mutex mutex;
  std::string detail = "connecting";  // why not up
  std::promise<void> closed;          // the library's closed callback ran

  void set(bool is_up, std::string why) {
    up = is_up;
    std::lock_guard lock(mutex);
    detail = std::move(why);
  }
};

struct NatsIngressSource::Route {
  std::shared_ptr<Shared> shared;
  std::size_t rule = 0;
  std::string subject;
  std::string queue_group;
  natsSubscription* subscription = nullptr;
  std::promise<void> complete;  // no handler runs any more (natsSubscription_SetOnCompleteCB)
};

namespace {

constexpr std::chrono::seconds kFreeTimeout{2};

std::string last_error(natsConnection* nc) {
  const char* text = nullptr;
  const natsStatus s = natsConnection_GetLastError(nc, &text);
  if (text != nullptr && *text != '\0') return text;
  return s == NATS_OK ? "disconnected" : natsStatus_GetText(s);
}

void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* route = static_cast<NatsIngressSource::Route*>(closure);
  std::string subject = natsMsg_GetSubject(msg);
  std::string body(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  natsMsg_Destroy(msg);
  const auto& shared = route->shared;
  if (shared->stopped) return;
  asio::post(shared->executor, [shared, route, subject = std::move(subject),
                                body = std::move(body)] {
    // The route lives until stop(), which sets `stopped` first on this same thread.
    if (!shared->stopped) shared->handoff->take(route->rule, {subject, route->subject, body});
  });
}

void on_complete(void* closure) { static_cast<NatsIngressSource::Route*>(closure)->complete.set_value(); }

void on_connected(natsConnection*, void* closure) {
  auto* shared = static_cast<NatsIngressSource::Shared*>(closure);
  shared->connects += 1;
  shared->set(true, {});
}
void on_disconnected(natsConnection* nc, void* closure) {
  static_cast<NatsIngressSource::Shared*>(closure)->set(false, last_error(nc));
}
void on_closed(natsConnection*, void* closure) {
  auto* shared = static_cast<NatsIngressSource::Shared*>(closure);
  shared->set(false, "closed");
  shared->closed.set_value();
}

}  // namespace

NatsIngressSource::NatsIngressSource(asio::any_io_executor executor, std::string urls,
                                     Handoff& handoff)
    : executor_(executor),
      urls_(std::move(urls)),
      shared_(std::make_shared<Shared>()),
      poll_(executor) {
  // The label names the servers without credentials.
  std::string shown;
  for (std::size_t start = 0; start <= urls_.size();) {
    std::size_t comma = urls_.find(',', start);
    if (comma == std::string::npos) comma = urls_.size();
    std::string one = urls_.substr(start, comma - start);
    if (const auto at = one.rfind('@'); at != std::string::npos) one = "nats://" + one.substr(at + 1);
    if (one.starts_with("nats://")) one = one.substr(7);
    while (!one.empty() && one.front() == ' ') one.erase(0, 1);
    shown += (shown.empty() ? "" : ",") + one;
    start = comma + 1;
  }
  name_ = "ingress nats " + shown;
  shared_->executor = executor;
  shared_->handoff = &handoff;
}

NatsIngressSource::~NatsIngressSource() { stop(); }

void NatsIngressSource::add(std::size_t rule, const std::vector<std::string>& subjects,
                            const std::string& queue_group) {
  for (const auto& subject : subjects) {
    auto route = std::make_unique<Route>();
    route->shared = shared_;
    route->rule = rule;
    route->subject = subject;
    route->queue_group = queue_group;
    routes_.push_back(std::move(route));
  }
}

void NatsIngressSource::start() {
  if (started_) return;
  started_ = true;
  natsOptions* opts = nullptr;
  natsOptions_Create(&opts);
  natsOptions_SetURL(opts, urls_.c_str());
  natsOptions_SetName(opts, "switchboard ingress");
  natsOptions_SetMaxReconnect(opts, -1);                // forever
  natsOptions_SetReconnectWait(opts, 100);              // ms, plus the jitter below
  natsOptions_SetReconnectJitter(opts, 400, 400);
  natsOptions_SetRetryOnFailedConnect(opts, true, on_connected, shared_.get());
  natsOptions_SetDisconnectedCB(opts, on_disconnected, shared_.get());
  natsOptions_SetReconnectedCB(opts, on_connected, shared_.get());
  natsOptions_SetClosedCB(opts, on_closed, shared_.get());
  const natsStatus s = natsConnection_Connect(&connection_, opts);
  natsOptions_Destroy(opts);
  if (s == NATS_OK) {
    on_connected(connection_, shared_.get());
  } else if (s != NATS_NOT_YET_CONNECTED) {
    shared_->set(false, natsStatus_GetText(s));
    spdlog::error("{}: cannot start the NATS client: {}", name_, natsStatus_GetText(s));
    connection_ = nullptr;
    return;
  } else {
    shared_->set(false, "connecting");
  }
  // Subscriptions made while the first connect is retried are sent once it succeeds, and
  // again after every reconnect: the library keeps them.
  for (auto& route : routes_) {
    const natsStatus sub =
        route->queue_group.empty()
            ? natsConnection_Subscribe(&route->subscription, connection_, route->subject.c_str(),
                                       on_message, route.get())
            : natsConnection_QueueSubscribe(&route->subscription, connection_,
                                            route->subject.c_str(), route->queue_group.c_str(),
                                            on_message, route.get());
    if (sub != NATS_OK) {
      route->subscription = nullptr;
      shared_->set(false, "cannot subscribe to " + route->subject + ": " + natsStatus_GetText(sub));
      spdlog::error("{}: cannot subscribe to {}: {}", name_, route->subject,
                    natsStatus_GetText(sub));
      continue;
    }
    natsSubscription_SetOnCompleteCB(route->subscription, on_complete, route.get());
  }
  poll_dropped();
}

void NatsIngressSource::poll_dropped() {
  std::uint64_t total = 0;
  for (const auto& route : routes_) {
    int64_t dropped = 0;
    if (route->subscription != nullptr &&
        natsSubscription_GetDropped(route->subscription, &dropped) == NATS_OK) {
      total += static_cast<std::uint64_t>(dropped);
    }
  }
  shared_->dropped = total;
  poll_.expires_after(std::chrono::seconds(1));
  poll_.async_wait([this](boost::system::error_code ec) {
    if (!ec && !stopped_) poll_dropped();
  });
}

void NatsIngressSource::stop() {
  if (stopped_) return;
  stopped_ = true;
  shared_->stopped = true;
  poll_.cancel();
  if (connection_ == nullptr) return;
  // Unsubscribe, then free each route once the library says no handler runs for it any more;
  // one it does not confirm in time is kept (leaked) rather than freed under a handler.
  for (auto& route : routes_) {
    if (route->subscription == nullptr) continue;
    natsSubscription_Unsubscribe(route->subscription);
    auto complete = route->complete.get_future();
    if (complete.wait_for(kFreeTimeout) == std::future_status::ready) {
      natsSubscription_Destroy(route->subscription);
    } else {
      spdlog::warn("{}: the subscription to {} did not close in time", name_, route->subject);
      (void)route.release();
    }
  }
  auto closed = shared_->closed.get_future();
  natsConnection_Close(connection_);
  if (closed.wait_for(kFreeTimeout) != std::future_status::ready) {
    // The closed callback may still come: keep what it touches alive.
    new std::shared_ptr<Shared>(shared_);
  }
  natsConnection_Destroy(connection_);
  connection_ = nullptr;
}

engine::BackendHealth NatsIngressSource::health() const {
  std::lock_guard lock(shared_->mutex);
  const bool is_up = shared_->up;
  return engine::BackendHealth{name_, is_up, is_up ? std::string() : shared_->detail};
}

bool NatsIngressSource::up() const noexcept { return shared_->up; }
std::uint64_t NatsIngressSource::connects() const noexcept { return shared_->connects; }
std::uint64_t NatsIngressSource::dropped() const noexcept { return shared_->dropped; }

}  // namespace switchboard::ingress
