#include "metrics_stream_endpoint.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <unordered_map>

#include "api_key.hpp"
#include "close_codes.hpp"
#include "error_codes.hpp"
#include "switchboard/http/metrics_json.hpp"
#include "switchboard/net/connection.hpp"
#include "switchboard/net/ops_routes.hpp"
#include "switchboard/net/server.hpp"
#include "switchboard/net/worker.hpp"

namespace switchboard::node {
namespace {

constexpr std::uint32_t kPeriodMs = 1000;

class MetricsStreamEndpoint final : public net::Endpoint {
 public:
  explicit MetricsStreamEndpoint(const net::Server& server) : server_(server) {}

  std::optional<http::Response> on_upgrade(const http::Request&, net::Connection&) override {
    if (server_.config().api_key.empty()) {
      return http::Response::error(403, api_error_code::kApiDisabled,
                                   "the metrics stream needs api_key set");
    }
    return std::nullopt;
  }

  void on_open(net::Connection& c) override { viewers_[&c] = Viewer{false, c.worker().now()}; }

  void on_message(net::Connection& c, ws::Opcode, std::string_view payload) override {
    auto it = viewers_.find(&c);
    if (it == viewers_.end() || it->second.authenticated) return;  // later messages: ignored
    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(payload, ec);
    const auto* object = ec ? nullptr : doc.if_object();
    const auto* key = object ? object->if_contains("api_key") : nullptr;
    if (key == nullptr || !key->is_string() ||
        !api_key_matches(key->as_string(), server_.config().api_key)) {
      viewers_.erase(it);
      c.close(close_code::kAuthFailed, "missing or wrong API key");
      return;
    }
    it->second.authenticated = true;
    c.send_text(snapshot());
  }

  void on_close(net::Connection& c, std::uint16_t) override { viewers_.erase(&c); }

  void on_sweep(std::uint32_t now) override {
    const auto deadline = static_cast<std::uint32_t>(server_.config().auth_timeout.count());
    bool anyone = false;
    for (auto it = viewers_.begin(); it != viewers_.end();) {
      if (!it->second.authenticated && now - it->second.opened_at >= deadline) {
        net::Connection& c = *it->first;
        it = viewers_.erase(it);
        c.close(close_code::kAuthFailed, "no API key in time");
        continue;
      }
      anyone = anyone || it->second.authenticated;
      ++it;
    }
    if (!anyone || now - last_sent_ < kPeriodMs) return;
    last_sent_ = now;
    const std::string text = snapshot();  // once for every viewer on this worker
    for (auto& [c, viewer] : viewers_) {
      if (viewer.authenticated) c->send_text(text);
    }
  }

 private:
  struct Viewer {
    bool authenticated = false;
    std::uint32_t opened_at = 0;
  };

  std::string snapshot() const {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    std::string json = http::metrics_json(net::metrics_text(server_));  // {"metrics":{…}}
    return R"({"type":"metrics","time":)" + std::to_string(ms) + "," + json.substr(1);
  }

  const net::Server& server_;
  std::unordered_map<net::Connection*, Viewer> viewers_;
  std::uint32_t last_sent_ = 0;
};

}  // namespace

net::EndpointFactory make_metrics_stream_endpoint(const net::Server& server) {
  return [&server](net::Worker&) { return std::make_unique<MetricsStreamEndpoint>(server); };
}

}  // namespace switchboard::node
