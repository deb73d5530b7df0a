#include "switchboard_protocol.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <cstring>

namespace switchboard::bench {
namespace {

enum Phase : std::uint8_t { kAwaitSubscribed = 1 };

std::string base64url(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(in[i]) << 16) |
                   (static_cast<unsigned char>(in[i + 1]) << 8) | static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == in.size()) {
    const auto n = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
  } else if (i + 2 == in.size()) {
    const auto n = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

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
  const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count() +
                   86400;
  const std::string header = base64url(R"({"alg":"HS256","typ":"JWT"})");
  const std::string claims =
      base64url("{\"sub\":\"" + std::string(user) + "\",\"exp\":" + std::to_string(exp) + "}");
  const std::string signing_input = header + "." + claims;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac,
       &mac_size);
  return signing_input + "." +
         base64url(std::string_view(reinterpret_cast<const char*>(mac), mac_size));
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
