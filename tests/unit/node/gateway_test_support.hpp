#pragma once
// What the in-process gateway tests share: a local configuration, a started gateway stopped
// at the end of the test (with the engine thread of a deferred engine stopped in between),
// clients that authenticate, messages read as JSON, /metrics and the server API over HTTP.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "deferred_engine.hpp"
#include "switchboard/auth/jwt_verifier.hpp"
#include "switchboard/gateway.hpp"
#include "test_client.hpp"

namespace switchboard::testing {

using net::testing::Frame;
using net::testing::TestClient;

inline config::Config local_config() {
  config::Config c;
  c.bind_address = "127.0.0.1";
  c.port = net::testing::free_port();
  c.workers = 1;
  return c;
}

// Test names for suites run on both engines: the memory engine as it is (answering on the
// caller's thread) and behind the deferred engine.
inline std::string engine_name(const ::testing::TestParamInfo<bool>& param) {
  return param.param ? "Deferred" : "Inline";
}

// A started gateway, stopped at the end of the test. With a deferred engine, its thread is
// stopped once the workers have: what it still runs then finds the node whole.
class Running {
 public:
  explicit Running(std::unique_ptr<Gateway> gateway, EngineThreadPtr engine_thread = nullptr)
      : gateway_(std::move(gateway)), engine_thread_(std::move(engine_thread)) {
    gateway_->start();
  }
  ~Running() {
    gateway_->stop();
    gateway_->wait();
    if (engine_thread_) engine_thread_->stop();
  }
  Gateway& operator*() { return *gateway_; }

 private:
  std::unique_ptr<Gateway> gateway_;
  EngineThreadPtr engine_thread_;
};

// The next text frame as JSON (a null value when the connection ended or timed out).
inline boost::json::value next_message(TestClient& client) {
  const std::optional<Frame> frame = client.read_frame();
  if (!frame || frame->opcode != 0x1) return nullptr;
  return boost::json::parse(frame->payload);
}

inline bool has_type(const boost::json::value& m, std::string_view type) {
  return m.is_object() && m.as_object().at("type").as_string() == type;
}

// The next message of `type`, skipping others (bounded by the client's receive timeout).
inline boost::json::value next_of_type(TestClient& client, std::string_view type) {
  for (int i = 0; i < 20; ++i) {
    boost::json::value m = next_message(client);
    if (m.is_null()) break;
    if (has_type(m, type)) return m;
  }
  ADD_FAILURE() << "no " << type << " message";
  return nullptr;
}

// Messages read until one satisfies `last` (included), or the connection ends or times out.
inline std::vector<boost::json::value> read_until(
    TestClient& client, const std::function<bool(const boost::json::value&)>& last) {
  std::vector<boost::json::value> read;
  for (int i = 0; i < 100; ++i) {
    boost::json::value m = next_message(client);
    if (m.is_null()) break;
    read.push_back(m);
    if (last(m)) return read;
  }
  ADD_FAILURE() << "the awaited message never came; read " << read.size() << " messages";
  return read;
}

// A client of the gateway on `port` that has sent an HS256 token for `user` signed by
// `secret` (the answer is still to be read).
inline std::unique_ptr<TestClient> send_auth_as(const config::Config& c, const std::string& user,
                                                const std::string& secret = "s") {
  auto client = std::make_unique<TestClient>(c.port);
  EXPECT_EQ(client->upgrade(c.ws_path), 101);
  client->send_text(R"({"type":"auth","payload":{"token":")" +
                    auth::sign_jwt(auth::Algorithm::HS256, secret,
                                   R"({"sub":")" + user + R"(","exp":4102444800})") +
                    R"("}})");
  return client;
}

// The same, authenticated (auth.success read).
inline std::unique_ptr<TestClient> connect_as(const config::Config& c, const std::string& user,
                                              const std::string& secret = "s") {
  auto client = send_auth_as(c, user, secret);
  next_of_type(*client, "auth.success");
  return client;
}

// The node's own metric, read over HTTP from the running gateway.
inline std::uint64_t metric(std::uint16_t port, const std::string& name) {
  TestClient http(port);
  http.send_raw("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string body;
  if (http.read_http_response(&body) != 200) return 0;
  const std::string prefix = std::string(name) + " ";
  const std::size_t at = body.find("\n" + prefix);
  return at == std::string::npos ? 0 : std::stoull(body.substr(at + 1 + prefix.size()));
}

inline std::uint64_t engine_errors(std::uint16_t port, std::string_view op) {
  return metric(port, "switchboard_gateway_engine_errors_total{op=\"" + std::string(op) + "\"}");
}

// An HTTP exchange with the running gateway's server API (API key "k"): status and body.
inline std::pair<int, std::string> api(std::uint16_t port, std::string_view method,
                                       std::string_view path, std::string_view body = {}) {
  TestClient http(port);
  std::string request = std::string(method) + " " + std::string(path) +
                        " HTTP/1.1\r\nHost: x\r\nAuthorization: apikey k\r\nConnection: close\r\n";
  if (!body.empty()) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  http.send_raw(request + "\r\n" + std::string(body));
  std::string answer;
  const int status = http.read_http_response(&answer);
  return {status, answer};
}

}  // namespace switchboard::testing
