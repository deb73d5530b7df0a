#include "socketio_protocol.hpp"

#include "bench_token.hpp"

namespace switchboard::bench {
namespace {

// Phases of the opening exchange.
constexpr std::uint8_t kAwaitEngineOpen = 0;
constexpr std::uint8_t kAwaitNamespaceConnect = 1;
constexpr std::uint8_t kAwaitSubscribed = 2;  // the gateway only

constexpr std::string_view kEventSuffix = "\"]";
constexpr std::string_view kSubscribedPrefix = R"(42["subscribed")";
constexpr std::string_view kErrorPrefix = R"(42["error")";

std::string event_prefix(std::string_view event) {
  return "42[\"" + std::string(event) + "\",\"";
}

}  // namespace

SocketIoProtocol::SocketIoProtocol() : event_prefix_(event_prefix("message")) {}

SocketIoProtocol::SocketIoProtocol(SocketIoGateway gateway)
    : gateway_(std::move(gateway)), event_prefix_(event_prefix("message.new")) {}

std::string SocketIoProtocol::request_target(std::string_view path) const {
  std::string target = path.empty() ? std::string("/socket.io/") : std::string(path);
  target.append("?EIO=4&transport=websocket");
  return target;
}

std::uint8_t SocketIoProtocol::on_open(MessageSink& /*sink*/) const {
  return kAwaitEngineOpen;
}

std::string SocketIoProtocol::connect_packet() const {
  if (!gateway_) return "40";
  const std::string user = "bench-" + std::to_string(next_user_.fetch_add(1));
  return R"(40{"token":")" + hs256_token(gateway_->jwt_secret, user) + R"("})";
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
      sink.send_text(connect_packet());
      phase = kAwaitNamespaceConnect;
      return {};
    case kAwaitNamespaceConnect:
      if (message.starts_with("44")) return {Kind::kFailed, message};
      if (!message.starts_with("40")) return {};
      if (gateway_) {
        sink.send_text(R"(42["subscribe",{"channel":")" + gateway_->channel + R"("}])");
        phase = kAwaitSubscribed;
        return {};
      }
      phase = kReadyPhase;
      return {Kind::kReady, {}};
    case kAwaitSubscribed:
      if (message.starts_with(kErrorPrefix)) return {Kind::kFailed, message};
      if (!message.starts_with(kSubscribedPrefix)) return {};  // `connected`, a snapshot
      phase = kReadyPhase;
      return {Kind::kReady, {}};
    default:
      break;
  }
  if (message.size() >= event_prefix_.size() + kEventSuffix.size() &&
      message.starts_with(event_prefix_) && message.ends_with(kEventSuffix)) {
    message.remove_prefix(event_prefix_.size());
    message.remove_suffix(kEventSuffix.size());
    return {Kind::kPayload, message};
  }
  if (gateway_ && message.starts_with(kErrorPrefix)) return {Kind::kFailed, message};
  if (message.starts_with("1")) return {Kind::kFailed, "Engine.IO close packet"};
  return {};  // other events and packets are not ours
}

void SocketIoProtocol::append_publish(std::string& out, std::string_view payload) const {
  if (gateway_) {
    out.append(R"(42["publish",{"channel":")")
        .append(gateway_->channel)
        .append(R"(","data":")")
        .append(payload)
        .append("\"}]");
    return;
  }
  out.append(event_prefix_).append(payload).append(kEventSuffix);
}

}  // namespace switchboard::bench
