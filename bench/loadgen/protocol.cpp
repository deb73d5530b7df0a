#include "protocol.hpp"

#include "plain_protocol.hpp"
#include "socketio_protocol.hpp"
#include "switchboard_protocol.hpp"

namespace switchboard::bench {

std::unique_ptr<Protocol> make_protocol(std::string_view name, const ProtocolOptions& options) {
  if (name == "plain") return std::make_unique<PlainProtocol>();
  if (name == "switchboard") {
    return std::make_unique<SwitchboardProtocol>(options.jwt_secret, options.channel);
  }
  if (name == "socketio") return std::make_unique<SocketIoProtocol>();
  if (name == "switchboard-socketio") {
    return std::make_unique<SocketIoProtocol>(SocketIoGateway{options.jwt_secret, options.channel});
  }
  return nullptr;
}

}  // namespace switchboard::bench
