// A host application that runs its own HTTP server (Boost.Beast) and mounts the gateway at /ws,
// the way seed 004's library is mounted with RegisterConn: the application's JWT middleware
// authenticates every request, its own /api routes answer beside the gateway, and an
// authenticated upgrade on /ws is handed to the gateway with the identity the middleware
// found (Gateway::adopt). The gateway opens no port of its own (listen = false).
//
//   HOST_JWT_SECRET=s3cret example_beast_host --port 8080
//
// Routes (all but /health need `Authorization: Bearer <HS256 JWT>` or `?token=`):
//   GET  /health                    200 "ok"
//   GET  /api/me                    {"user_id": ...} from the token
//   POST /api/users/<id>/notify     body (JSON) to every connection of <id> as "notification"
//   POST /api/broadcast             body (JSON) to every connection as "announcement"
//   GET  /ws                        the gateway (native protocol); 401 without a valid token
// SIGTERM/SIGINT drain the gateway (1012 to every connection over drain_period), then exit.
// The gateway's own options work as flags or environment variables (`--help`); --port and
// --bind-address are the host's.
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "switchboard/auth/jwt_verifier.hpp"
#include "switchboard/config/config.hpp"
#include "switchboard/config/logging.hpp"
#include "switchboard/gateway.hpp"
#include "switchboard/protocol/json_writer.hpp"

extern char** environ;

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

Response answer(const Request& request, http::status status, std::string body,
                std::string_view type = "application/json") {
  Response response(status, request.version());
  response.set(http::field::content_type, type);
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

Response error(const Request& request, http::status status, std::string_view code) {
  std::string body;
  switchboard::protocol::JsonObject(body).string("error", code).close();
  return answer(request, status, std::move(body));
}

// The application's authentication middleware: a bearer token (header, or `token` in the query
// for browsers, which cannot set headers on a WebSocket) checked with the application's key.
class JwtMiddleware {
 public:
  explicit JwtMiddleware(std::string secret)
      : verifier_([&] {
          switchboard::auth::JwtConfig config;
          config.keys.push_back({switchboard::auth::Algorithm::HS256, {}, std::move(secret)});
          return config;
        }()) {}

  std::optional<switchboard::auth::Identity> authenticate(const Request& request) const {
    std::string token;
    const std::string_view authorization = request[http::field::authorization];
    if (authorization.starts_with("Bearer ")) {
      token = authorization.substr(7);
    } else if (auto target = boost::urls::parse_origin_form(request.target())) {
      if (auto param = target->params().find("token"); param != target->params().end()) {
        token = (*param).value;  // percent-decoded
      }
    }
    if (token.empty()) return std::nullopt;
    auto result = verifier_.verify(token, std::chrono::system_clock::now());
    return std::move(result.identity);
  }

 private:
  switchboard::auth::JwtVerifier verifier_;
};

class Host {
 public:
  Host(switchboard::Gateway& gateway, JwtMiddleware& auth) : gateway_(gateway), auth_(auth) {}

  // One HTTP connection: requests until it closes or upgrades to the gateway.
  asio::awaitable<void> serve(tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(64 * 1024);
      auto [read_error, read] = co_await http::async_read(socket, buffer, parser, kNoThrow);
      if (read_error) co_return;
      Request request = parser.release();
      std::optional<switchboard::auth::Identity> identity = auth_.authenticate(request);
      const std::string_view path = request.target().substr(0, request.target().find('?'));
      if (path == "/ws") {
        if (!identity) {
          co_await write(socket, error(request, http::status::unauthorized, "unauthorized"));
        } else if (!boost::beast::websocket::is_upgrade(request)) {
          co_await write(socket, error(request, http::status::upgrade_required, "websocket_only"));
        } else {
          // The gateway checks the rest of the upgrade (key, version, origin) and answers it.
          hand_over(socket, request, buffer, std::move(*identity));
        }
        co_return;
      }
      Response response = route(request, path, identity);
      const bool keep_alive = response.keep_alive();
      if (!co_await write(socket, std::move(response)) || !keep_alive) co_return;
    }
  }

 private:
  asio::awaitable<bool> write(tcp::socket& socket, Response response) {
    auto [write_error, written] = co_await http::async_write(socket, response, kNoThrow);
    co_return !write_error;
  }

  // The socket leaves Asio (release: no operation pending on it) and goes to the gateway with
  // the request, what was read past it and who the middleware says the client is. The gateway
  // answers the upgrade: its 101, or its 400 for a request that is no valid WebSocket upgrade.
  void hand_over(tcp::socket& socket, const Request& request, boost::beast::flat_buffer& buffer,
                 switchboard::auth::Identity identity) {
    switchboard::AdoptedConnection adopted;
    adopted.method = std::string(request.method_string());
    adopted.target = std::string(request.target());
    for (const auto& field : request) {
      adopted.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    const auto unread = buffer.data();
    adopted.leftover.assign(static_cast<const char*>(unread.data()), unread.size());
    adopted.identity = std::move(identity);
    boost::system::error_code ignored;
    adopted.fd = socket.release(ignored);
    if (adopted.fd < 0) return;
    gateway_.adopt(std::move(adopted));
  }

  Response route(const Request& request, std::string_view target,
                 const std::optional<switchboard::auth::Identity>& who) {
    if (target == "/health") return answer(request, http::status::ok, "ok", "text/plain");
    if (!who) return error(request, http::status::unauthorized, "unauthorized");
    if (target == "/api/me" && request.method() == http::verb::get) {
      std::string body;
      switchboard::protocol::JsonObject(body).string("user_id", who->user_id).close();
      return answer(request, http::status::ok, std::move(body));
    }
    constexpr std::string_view kUsers = "/api/users/", kNotify = "/notify";
    const bool notify = target.starts_with(kUsers) && target.ends_with(kNotify) &&
                        target.size() > kUsers.size() + kNotify.size();
    if ((notify || target == "/api/broadcast") && request.method() == http::verb::post) {
      boost::system::error_code bad_json;
      boost::json::parse(request.body(), bad_json);
      if (bad_json) return error(request, http::status::bad_request, "body_not_json");
      if (notify) {
        const std::string user(
            target.substr(kUsers.size(), target.size() - kUsers.size() - kNotify.size()));
        gateway_.send_to_user(user, {.type = "notification", .payload = request.body()});
      } else {
        gateway_.broadcast({.type = "announcement", .payload = request.body()});
      }
      return answer(request, http::status::accepted, R"({"ok":true})");
    }
    return error(request, http::status::not_found, "not_found");
  }

  switchboard::Gateway& gateway_;
  JwtMiddleware& auth_;
};

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, Host& host) {
  for (;;) {
    auto [accept_error, socket] = co_await acceptor.async_accept(kNoThrow);
    if (accept_error) co_return;  // closed at shutdown
    asio::co_spawn(acceptor.get_executor(), host.serve(std::move(socket)), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  auto loaded = switchboard::config::load(argc, argv, environ);
  if (!loaded.config) {
    std::fprintf(loaded.exit_code == 0 ? stdout : stderr, "%s\n", loaded.message.c_str());
    return loaded.exit_code;
  }
  const char* secret = std::getenv("HOST_JWT_SECRET");
  if (secret == nullptr || *secret == '\0') {
    std::fprintf(stderr, "HOST_JWT_SECRET must hold the application's HS256 key\n");
    return 2;
  }
  switchboard::config::Config config = *loaded.config;
  config.listen = false;  // the host's port is the only one
  switchboard::config::setup_logging(config);
  std::signal(SIGPIPE, SIG_IGN);

  try {
    asio::io_context io(1);
    tcp::acceptor acceptor(io, {asio::ip::make_address(config.bind_address), config.port});
    switchboard::Gateway gateway(config);
    JwtMiddleware auth(secret);
    Host host(gateway, auth);
    gateway.start();
    asio::co_spawn(io, accept_loop(acceptor, host), asio::detached);

    // Stop: no new connections; the gateway closes its own with 1012 and the loop ends.
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) {
      acceptor.close();
      gateway.drain();
      io.stop();
    });
    spdlog::info("host listening on {}:{}, the gateway at /ws", config.bind_address, config.port);
    io.run();
    gateway.wait();
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return 1;
  }
  return 0;
}
