#include "socketio_protocol.hpp"

namespace switchboard::bench {
namespace {

// Phases of the opening exchange.
constexpr std::uint8_t kAwaitEngineOpen = 0;
constexpr std::uint8_t kAwaitNamespaceConnect = 1;

constexpr std::string_view kEventPrefix = "42[\"message\",\"";
constexpr std::string_view kEventSuffix = "\"]";

}  // namespace

std::string SocketIoProtocol::request_target(std::string_view path) const {
  std::string target = path.empty() ? std::string("/socket.io/") : std::string(path);
  target.append("?EIO=4&transport=websocket");
  return target;
}

std::uint8_t SocketIoProtocol::on_open(MessageSink& /*sink*/) const {
  return kAwaitEngineOpen;
}

ProtocolEvent SocketIoProtocol::on_message(std::uint8_t& phase, std::string_view message,
                                           MessageSink& sink) const {
  using Kind = ProtocolEvent::Kind;
  if (message == "2") {  // Engine.IO ping, in any phase
    sink.send_text("3");
    return {};
  }
  switch (phase) {
    case kAwaitEngineOpen:
      if (!message.starts_with("0{")) return {Kind::kFailed, "expected Engine.IO open packet"};
      sink.send_text("40");
      phase = kAwaitNamespaceConnect;
      return {};
    case kAwaitNamespaceConnect:
      if (message.starts_with("44")) return {Kind::kFailed, "namespace connect refused"};
      if (!message.starts_with("40")) return {};
      phase = kReadyPhase;
      return {Kind::kReady, {}};
    default:
      break;
  }
  if (message.size() >= kEventPrefix.size() + kEventSuffix.size() &&
      message.starts_with(kEventPrefix) && message.ends_with(kEventSuffix)) {
    message.remove_prefix(kEventPrefix.size());
    message.remove_suffix(kEventSuffix.size());
    return {Kind::kPayload, message};
  }
  if (message.starts_with("1")) return {Kind::kFailed, "Engine.IO close packet"};
  return {};  // other events and packets are not ours
}

void SocketIoProtocol::append_publish(std::string& out, std::string_view payload) const {
  out.append(kEventPrefix).append(payload).append(kEventSuffix);
}

}  // namespace switchboard::bench
