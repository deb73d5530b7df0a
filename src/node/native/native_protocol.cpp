#include "native_protocol.hpp"

#include "error_codes.hpp"
#include "node.hpp"
#include "switchboard/protocol/json_writer.hpp"

namespace switchboard::node {

NativeProtocol& NativeProtocol::instance() noexcept {
  static NativeProtocol protocol;
  return protocol;
}

Decoded NativeProtocol::decode(std::string_view text) {
  const protocol::EnvelopeParse parsed = protocol::parse_envelope(text);
  Decoded out;
  out.envelope = parsed.envelope;
  if (parsed.error != protocol::EnvelopeError::none) {
    out.kind = Decoded::Kind::malformed;
    out.error_code = parsed.error == protocol::EnvelopeError::bad_json ? error_code::kBadJson
                                                                       : error_code::kBadRequest;
    out.detail = parsed.detail;
  }
  return out;
}

void NativeProtocol::encode(std::string& out, const Outgoing& message) {
  out.reserve(out.size() + message.type.size() + message.payload.size() + message.id.size() +
              message.channel.size() + 48);
  protocol::JsonObject o(out);
  o.string("type", message.type);
  if (!message.channel.empty()) o.string("channel", message.channel);
  if (!message.id.empty()) o.string("id", message.id);
  if (!message.payload.empty()) o.raw("payload", message.payload);
  o.close();
}

void NativeProtocol::encode_error(std::string& out, std::string_view payload, std::string_view) {
  encode(out, Outgoing{.type = "error", .payload = payload});
}

void NativeProtocol::encode_started(std::string&, const SessionInfo&) {}

const ws::OutboundMessage& NativeProtocol::publication(const DeliveryPtr& delivery) {
  return delivery->message;
}

std::string NativeProtocol::ack_key(const Delivery& delivery) const {
  return delivery.publication->id;
}

}  // namespace switchboard::node
