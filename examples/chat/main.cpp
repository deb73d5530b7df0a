// A chat server on the Switchboard library. Clients authenticate with a JWT (HS256, secret in
// the JWT_SECRET environment variable), subscribe to `room:<name>`, and send
//   {"type":"chat_message","payload":{"room":"lobby","text":"hello"}}
// which the handler checks and republishes to everyone in the room as
//   {"type":"chat.message","channel":"room:lobby",...,"payload":{"room","text","user_id"}}.
// Every server option works as a flag or environment variable (`example_chat --help`).
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>

#include "switchboard/config/config.hpp"
#include "switchboard/config/logging.hpp"
#include "switchboard/gateway.hpp"
#include "switchboard/protocol/json_fields.hpp"
#include "switchboard/protocol/json_writer.hpp"

extern char** environ;

namespace {

constexpr std::size_t kMaxTextBytes = 2000;

// Checks a chat_message and republishes it to its room; a bad one gets an error.
void on_chat_message(switchboard::Gateway& gateway, switchboard::Client& client,
                     const switchboard::ClientEvent& event) {
  auto fields = switchboard::protocol::JsonFields::parse(event.payload);
  auto room = fields ? fields->string("room") : std::nullopt;
  auto text = fields ? fields->string("text") : std::nullopt;
  if (!room || room->empty() || room->find(':') != std::string::npos) {
    return client.error("invalid_message", "chat_message needs payload.room (a room name)");
  }
  if (!text || text->empty() || text->size() > kMaxTextBytes) {
    return client.error("invalid_message", "chat_message needs payload.text (1-2000 bytes)");
  }
  std::string payload;
  switchboard::protocol::JsonObject(payload)
      .string("room", *room)
      .string("text", *text)
      .string("user_id", client.info().user_id)
      .close();
  gateway.publish("room:" + *room, {.type = "chat.message", .payload = std::move(payload)});
}

}  // namespace

int main(int argc, char** argv) {
  auto loaded = switchboard::config::load(argc, argv, environ);
  if (!loaded.config) {
    std::fprintf(loaded.exit_code == 0 ? stdout : stderr, "%s\n", loaded.message.c_str());
    return loaded.exit_code;
  }
  switchboard::config::Config config = *loaded.config;
  if (config.public_channels.empty()) config.public_channels = {"room:*"};
  switchboard::config::setup_logging(config);

  // SIGINT/SIGTERM are taken by sigwait below, not by a handler inside a worker.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    switchboard::Gateway gateway(config);
    gateway.on("chat_message",
               [&gateway](switchboard::Client& client, const switchboard::ClientEvent& event) {
                 on_chat_message(gateway, client, event);
               });
    gateway.on_connect([](const switchboard::SessionInfo& s) {
      spdlog::info("connect: user {} session {} from {}", s.user_id, s.session_id,
                   s.remote_address);
    });
    gateway.on_disconnect([](const switchboard::SessionInfo& s, std::uint16_t code) {
      spdlog::info("disconnect: user {} session {} code {}", s.user_id, s.session_id, code);
    });
    gateway.start();
    spdlog::info("chat listening on {}:{}{}", config.bind_address, config.port, config.ws_path);
    int signal = 0;
    sigwait(&signals, &signal);
    gateway.stop();
    gateway.wait();
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return 1;
  }
  return 0;
}
