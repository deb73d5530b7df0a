#pragma once
// The broadcast mode (--broadcast): every message received on the path is sent to every
// connection on that path, on every worker, the sender included. It drives the data path the
// way a channel publish does: the message is framed once, each other worker gets one post, and
// every recipient queues a reference to the same frame.
#include "switchboard/net/endpoint.hpp"

namespace switchboard::net {

class Server;

EndpointFactory make_broadcast_endpoint(Server& server);

}  // namespace switchboard::net
