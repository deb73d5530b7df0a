#include "protocol.hpp"

#include "plain_protocol.hpp"
#include "socketio_protocol.hpp"

namespace switchboard::bench {

std::unique_ptr<Protocol> make_protocol(std::string_view name) {
  if (name == "plain") return std::make_unique<PlainProtocol>();
  if (name == "socketio") return std::make_unique<SocketIoProtocol>();
  return nullptr;
}

}  // namespace switchboard::bench
