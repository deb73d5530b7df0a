#include "nats_source.hpp"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <future>

#include "nats_connection.hpp"

namespace switchboard::ingress {

namespace asio = boost::asio;

// What the library's delivery threads touch.
struct NatsIngressSource::Shared {
  asio::any_io_executor executor;
  Handoff* handoff = nullptr;        // used on the ingress thread only, while not stopped
  std::atomic<bool> stopped{false};  // set on the ingress thread before anything is freed
  std::atomic<std::uint64_t> dropped{0};
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

}  // namespace

NatsIngressSource::NatsIngressSource(asio::any_io_executor executor, std::string urls,
                                     Handoff& handoff)
    : executor_(executor),
      connection_(std::make_unique<engine::nats::NatsConnection>(
          engine::nats::NatsConnectionOptions{.urls = std::move(urls),
                                              .client_name = "switchboard ingress"})),
      name_("ingress nats " + connection_->servers()),
      shared_(std::make_shared<Shared>()),
      poll_(executor) {
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
  if (!connection_->open()) return;
  // Subscriptions made while the first connect is retried are sent once it succeeds, and
  // again after every reconnect: the library keeps them.
  for (auto& route : routes_) {
    const natsStatus sub =
        route->queue_group.empty()
            ? natsConnection_Subscribe(&route->subscription, connection_->get(),
                                       route->subject.c_str(),
                                       on_message, route.get())
            : natsConnection_QueueSubscribe(&route->subscription, connection_->get(),
                                            route->subject.c_str(), route->queue_group.c_str(),
                                            on_message, route.get());
    if (sub != NATS_OK) {
      route->subscription = nullptr;
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
  if (connection_->get() == nullptr) return;
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
  connection_->close();
}

engine::BackendHealth NatsIngressSource::health() const { return connection_->health(name_); }

bool NatsIngressSource::up() const noexcept { return connection_->up(); }
std::uint64_t NatsIngressSource::connects() const noexcept { return connection_->connects(); }
std::uint64_t NatsIngressSource::dropped() const noexcept { return shared_->dropped; }

}  // namespace switchboard::ingress
