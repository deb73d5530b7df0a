#include "nats_connection.hpp"

#include <spdlog/spdlog.h>

#include <future>
#include <mutex>

namespace switchboard::engine::nats {

// Written on the library's callback thread, read by any. Shared with it: a closed event that
// comes after close() gave up waiting finds it alive.
struct NatsConnection::Events {
  std::function<void()> on_connected;
  std::function<void(natsSubscription*, natsStatus)> on_error;
  std::atomic<bool> up{false};
  std::atomic<std::uint64_t> connects{0};
  mutable std::mutex mutex;
  std::string detail = "connecting";  // why not up
  std::promise<void> closed;

  void set(bool is_up, std::string why) {
    std::lock_guard lock(mutex);
    up = is_up;
    detail = std::move(why);
  }
};

namespace {

// close() waits this long for the library's closed event (it comes within milliseconds).
constexpr std::chrono::seconds kCloseTimeout{2};

using Events = NatsConnection::Events;

void mark_connected(Events& events) {
  events.connects += 1;
  events.set(true, {});
}

void on_connected(natsConnection*, void* closure) {
  auto& events = *static_cast<Events*>(closure);
  mark_connected(events);
  if (events.on_connected) events.on_connected();
}
void on_disconnected(natsConnection* nc, void* closure) {
  static_cast<Events*>(closure)->set(false, nats_connection_error(nc));
}
void on_closed(natsConnection*, void* closure) {
  auto& events = *static_cast<Events*>(closure);
  events.set(false, "closed");
  events.closed.set_value();
}
void on_error(natsConnection*, natsSubscription* sub, natsStatus s, void* closure) {
  auto& events = *static_cast<Events*>(closure);
  if (events.on_error) events.on_error(sub, s);
}

}  // namespace

std::string nats_connection_error(natsConnection* connection) {
  const char* text = nullptr;
  const natsStatus s = natsConnection_GetLastError(connection, &text);
  if (text != nullptr && *text != '\0') return text;
  return s == NATS_OK ? "disconnected" : natsStatus_GetText(s);
}

std::string shown_nats_servers(std::string_view urls) {
  std::string shown;
  for (std::size_t start = 0; start <= urls.size();) {
    std::size_t comma = urls.find(',', start);
    if (comma == std::string_view::npos) comma = urls.size();
    std::string_view one = urls.substr(start, comma - start);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
    if (one.starts_with("nats://")) one.remove_prefix(7);
    if (const auto at = one.rfind('@'); at != std::string_view::npos) one.remove_prefix(at + 1);
    if (!shown.empty()) shown += ',';
    shown += one;
    start = comma + 1;
  }
  return shown;
}

NatsConnection::NatsConnection(NatsConnectionOptions options)
    : options_(std::move(options)),
      servers_(shown_nats_servers(options_.urls)),
      events_(std::make_shared<Events>()) {
  events_->on_connected = options_.on_connected;
  events_->on_error = options_.on_error;
}

NatsConnection::~NatsConnection() {
  close();
}

bool NatsConnection::open() {
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK) s = natsOptions_SetURL(opts, options_.urls.c_str());
  if (s == NATS_OK) {
    Events* events = events_.get();
    natsOptions_SetName(opts, options_.client_name.c_str());
    natsOptions_SetTimeout(opts, options_.connect_timeout.count());
    natsOptions_SetMaxReconnect(opts, -1);    // forever
    natsOptions_SetReconnectWait(opts, 100);  // ms, plus the jitter below
    natsOptions_SetReconnectJitter(opts, 400, 400);
    natsOptions_SetPingInterval(opts, 2000);  // a stalled server is found within ~4 s
    natsOptions_SetMaxPingsOut(opts, 2);
    natsOptions_UseGlobalMessageDelivery(opts, options_.global_delivery);
    natsOptions_SetRetryOnFailedConnect(opts, true, nats::on_connected, events);
    natsOptions_SetDisconnectedCB(opts, on_disconnected, events);
    natsOptions_SetReconnectedCB(opts, nats::on_connected, events);
    natsOptions_SetClosedCB(opts, on_closed, events);
    natsOptions_SetErrorHandler(opts, nats::on_error, events);
    s = natsConnection_Connect(&connection_, opts);
  }
  natsOptions_Destroy(opts);
  if (s == NATS_OK) {
    mark_connected(*events_);  // the library calls no connected event for this one
    return true;
  }
  if (s == NATS_NOT_YET_CONNECTED) return true;  // retried in the background
  events_->set(false, natsStatus_GetText(s));
  spdlog::error("nats {}: cannot start the NATS client: {}", servers_, natsStatus_GetText(s));
  connection_ = nullptr;
  return false;
}

void NatsConnection::close() {
  if (closed_) return;
  closed_ = true;
  if (connection_ == nullptr) return;
  auto closed = events_->closed.get_future();
  natsConnection_Close(connection_);
  if (closed.wait_for(kCloseTimeout) != std::future_status::ready) {
    // The closed event may still come: keep what it touches alive.
    new std::shared_ptr<Events>(events_);
  }
  natsConnection_Destroy(connection_);
  connection_ = nullptr;
}

bool NatsConnection::up() const noexcept {
  return events_->up;
}
std::uint64_t NatsConnection::connects() const noexcept {
  return events_->connects;
}

BackendHealth NatsConnection::health(std::string label) const {
  std::lock_guard lock(events_->mutex);
  const bool is_up = events_->up;
  return BackendHealth{std::move(label), is_up, is_up ? std::string() : events_->detail};
}

}  // namespace switchboard::engine::nats
