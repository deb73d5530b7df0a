#pragma once
// A connection moving from the worker that accepted it to the one that must own it
// (Endpoint::upgrade_worker), its upgrade request not answered yet: the socket, its TLS state
// and what was read of it.
#include <string>

#include "switchboard/http/request.hpp"

typedef struct ssl_st SSL;

namespace switchboard::net {

struct Handover {
  unsigned worker = 0;  // where it goes
  int fd = -1;
  SSL* ssl = nullptr;  // TLS: the session, handshake done, moved with the socket
  http::Request request;
  std::string leftover;  // bytes that followed the request
};

}  // namespace switchboard::net
