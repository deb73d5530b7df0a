#include "switchboard/net/echo_endpoint.hpp"

#include "switchboard/net/connection.hpp"

namespace switchboard::net {
namespace {

class EchoEndpoint final : public Endpoint {
 public:
  void on_message(Connection& connection, ws::Opcode op, std::string_view payload) override {
    if (op == ws::Opcode::text) {
      connection.send_text(payload);
    } else {
      connection.send_binary(payload);
    }
  }
};

}  // namespace

EndpointFactory make_echo_endpoint() {
  return [](Worker&) { return std::make_unique<EchoEndpoint>(); };
}

}  // namespace switchboard::net
