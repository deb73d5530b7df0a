#include "switchboard_protocol.hpp"

#include <cstring>

#include "bench_token.hpp"

namespace switchboard::bench {
namespace {

enum Phase : std::uint8_t { kAwaitSubscribed = 1 };

// The value of a top-level string field `"key":"..."` in a server envelope (the server writes
// them unspaced, `type` first and `payload` last; benchmark payloads need no unescaping).
// No allocation: this runs for every delivery the generator receives.
std::string_view string_field(std::string_view json, std::string_view pattern) {
  const std::size_t at = json.find(pattern);
  if (at == std::string_view::npos) return {};
  const std::size_t start = at + pattern.size();
  const std::size_t end = json.find('"', start);
  return end == std::string_view::npos ? std::string_view() : json.substr(start, end - start);
}

constexpr std::string_view kTypeField = R"("type":")";
constexpr std::string_view kPayloadField = R"("payload":")";
constexpr std::string_view kMessagePrefix = R"({"type":"message.new")";

}  // namespace

SwitchboardProtocol::SwitchboardProtocol(std::string jwt_secret, std::string channel)
    : secret_(std::move(jwt_secret)), channel_(std::move(channel)) {}

std::string SwitchboardProtocol::token(std::string_view user) const {
  return hs256_token(secret_, user);
}

std::string SwitchboardProtocol::request_target(std::string_view path) const {
  return path.empty() ? std::string("/ws") : std::string(path);
}

std::uint8_t SwitchboardProtocol::on_open(MessageSink& sink) const {
  // Authentication and the subscription are pipelined: the server handles them in order.
  const std::string user = "bench-" + std::to_string(next_user_.fetch_add(1));
  sink.send_text(R"({"type":"auth","payload":{"token":")" + token(user) + R"("}})");
  sink.send_text(R"({"type":"subscribe","payload":{"channels":[")" + channel_ + R"("]}})");
  return kAwaitSubscribed;
}

ProtocolEvent SwitchboardProtocol::on_message(std::uint8_t& phase, std::string_view message,
                                              MessageSink& /*sink*/) const {
  if (phase == kReadyPhase && message.starts_with(kMessagePrefix)) {
    // The payload is the envelope's last field and a string without quotes: the envelope ends
    // `"payload":"<payload>"}`. memrchr finds its opening quote in a few vector steps; a
    // substring search here cost the generator a fifth of its time and capped the benchmark.
    if (!message.ends_with("\"}")) return {ProtocolEvent::Kind::kFailed, message};
    const std::size_t end = message.size() - 2;
    const void* quote = memrchr(message.data(), '"', end);
    if (quote == nullptr) return {ProtocolEvent::Kind::kFailed, message};
    const std::size_t start = static_cast<std::size_t>(static_cast<const char*>(quote) - message.data()) + 1;
    if (!message.substr(0, start).ends_with(kPayloadField)) {
      return {ProtocolEvent::Kind::kFailed, message};
    }
    return {ProtocolEvent::Kind::kPayload, message.substr(start, end - start)};
  }
  const std::string_view type = string_field(message, kTypeField);
  if (phase == kAwaitSubscribed) {
    if (type == "auth.error" || type == "error") return {ProtocolEvent::Kind::kFailed, message};
    if (type != "subscribed") return {};
    phase = kReadyPhase;
    return {ProtocolEvent::Kind::kReady, {}};
  }
  if (type == "error") return {ProtocolEvent::Kind::kFailed, message};
  return {};  // presence, pings and other events are not payloads
}

void SwitchboardProtocol::append_publish(std::string& out, std::string_view payload) const {
  out.append(R"({"type":"publish","payload":{"channel":")")
      .append(channel_)
      .append(R"(","data":")")
      .append(payload)
      .append("\"}}");
}

}  // namespace switchboard::bench
