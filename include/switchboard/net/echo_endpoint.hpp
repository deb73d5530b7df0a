#pragma once
// The echo mode (--echo): every message is sent back to its sender, text as text, binary as
// binary. Conformance suites drive the codec through it.
#include "switchboard/net/endpoint.hpp"

namespace switchboard::net {

EndpointFactory make_echo_endpoint();

}  // namespace switchboard::net
