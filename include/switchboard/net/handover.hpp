#pragma once
// A connection moving to the worker that must own it, its upgrade request not answered yet:
// from the worker that accepted it (Endpoint::upgrade_worker), or from a host application's own
// HTTP server (Server::adopt). The socket, its TLS state and what was read of it.
#include <any>
#include <string>

#include "switchboard/http/request.hpp"

typedef struct ssl_st SSL;

namespace switchboard::net {

// Owns the socket and the TLS session until a worker takes them (Worker::adopt, which leaves
// fd -1 and ssl null): a handover that is never taken — its worker stopped before the posted
// task ran — closes the socket and frees the session when it is destroyed. Move-only.
struct Handover {
  Handover() = default;
  Handover(Handover&& other) noexcept;
  Handover& operator=(Handover&& other) noexcept;
  Handover(const Handover&) = delete;
  Handover& operator=(const Handover&) = delete;
  ~Handover();

  unsigned worker = 0;  // where it goes
  int fd = -1;
  SSL* ssl = nullptr;  // TLS: the session, handshake done, moved with the socket
  http::Request request;
  std::string leftover;  // bytes that followed the request
  // What the host that accepted the connection established about it (the gateway puts the
  // identity its middleware authenticated here); the endpoint reads it during the upgrade
  // through Worker::upgrade_context. Empty for the server's own connections.
  std::any context;
};

}  // namespace switchboard::net
