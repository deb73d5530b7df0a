#include "plain_protocol.hpp"

namespace switchboard::bench {

std::string PlainProtocol::request_target(std::string_view path) const {
  return path.empty() ? std::string("/broadcast") : std::string(path);
}

std::uint8_t PlainProtocol::on_open(MessageSink& /*sink*/) const {
  return kReadyPhase;
}

ProtocolEvent PlainProtocol::on_message(std::uint8_t& /*phase*/, std::string_view message,
                                        MessageSink& /*sink*/) const {
  return {ProtocolEvent::Kind::kPayload, message};
}

void PlainProtocol::append_publish(std::string& out, std::string_view payload) const {
  out.append(payload);
}

}  // namespace switchboard::bench
