#include "nats_upstream.hpp"

#include <nats/nats.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "nats_connection.hpp"

namespace switchboard::ingress {

NatsUpstream::NatsUpstream(boost::asio::any_io_executor executor, std::string urls,
                           UpstreamTopic topic, bool one_per_event)
    : executor_(std::move(executor)),
      connection_(std::make_unique<engine::nats::NatsConnection>(
          engine::nats::NatsConnectionOptions{.urls = std::move(urls),
                                              .client_name = "switchboard upstream"})),
      topic_(std::move(topic)),
      one_per_event_(one_per_event) {}

NatsUpstream::~NatsUpstream() { stop(); }

void NatsUpstream::start() {
  connection_->open();  // on failure every attempt fails, and says so (logged)
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sb-nats-up");
    run();
  });
}

void NatsUpstream::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, and nothing left
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

void NatsUpstream::send(const std::vector<UpstreamEvent>& batch, std::chrono::milliseconds timeout,
                        Done done) {
  std::lock_guard lock(mutex_);
  jobs_.push_back([this, batch, timeout, done = std::move(done)]() mutable {
    attempt(batch, timeout, std::move(done));
  });
  wake_.notify_one();
}

void NatsUpstream::attempt(const std::vector<UpstreamEvent>& batch,
                           std::chrono::milliseconds timeout, Done done) {
  auto answer = [this, &done](bool ok, std::string detail) {
    boost::asio::post(executor_, [done = std::move(done), ok, detail = std::move(detail)] {
      done(ok, detail, {});
    });
  };
  natsConnection* nc = connection_->get();
  if (nc == nullptr) return answer(false, "no NATS client (see the log at start)");
  // The connection events first: while the library retries a server it holds the
  // connection's lock through each TCP connect, and natsConnection_Status would wait for it.
  if (!connection_->up() || natsConnection_Status(nc) != NATS_CONN_STATUS_CONNECTED) {
    return answer(false, "NATS not connected");
  }
  auto publish = [nc](const std::string& subject, const std::string& data) {
    return natsConnection_Publish(nc, subject.c_str(), data.data(),
                                  static_cast<int>(data.size()));
  };
  natsStatus s = NATS_OK;
  if (one_per_event_) {
    for (const auto& event : batch) {
      s = publish(topic_.fill(event), to_json(event));
      if (s != NATS_OK) break;
    }
  } else {
    s = publish(topic_.fill(batch.front()), to_json(batch));
  }
  if (s == NATS_OK) s = natsConnection_FlushTimeout(nc, timeout.count());
  answer(s == NATS_OK, s == NATS_OK ? std::string() : natsStatus_GetText(s));
}

void NatsUpstream::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  connection_->close();
}

}  // namespace switchboard::ingress
