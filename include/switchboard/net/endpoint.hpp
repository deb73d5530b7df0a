#pragma once
// The application side of a WebSocket path: what the transport calls when a connection on that
// path opens, receives a message or goes away. The echo and broadcast modes are endpoints; the
// gateway protocol is one too.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "switchboard/http/request.hpp"
#include "switchboard/http/response.hpp"
#include "switchboard/ws/opcode.hpp"

namespace switchboard::net {

class Connection;
class Worker;

// One instance per worker (created by an EndpointFactory), so an endpoint may keep per-worker
// state without locks.
//
// Thread safety: every call comes from the owning worker's thread.
class Endpoint {
 public:
  virtual ~Endpoint() = default;

  // The worker that must own this upgrade's connection, when it is not the one that accepted it
  // (a Socket.IO upgrade joins the worker its long-polling session lives on): the connection
  // moves there unanswered, and that worker's endpoint sees the upgrade as its own. nullopt:
  // this worker.
  virtual std::optional<unsigned> upgrade_worker(const http::Request& /*request*/) {
    return std::nullopt;
  }
  // A plain HTTP request (not an upgrade) on this endpoint's path: return true and answer it
  // through `respond` (exactly once, from any thread), or false to leave it to the router.
  virtual bool on_request(const http::Request& /*request*/, Connection& /*connection*/,
                          const std::function<void(http::Response)>& /*respond*/) {
    return false;
  }
  // Before the 101 response: return a Response to refuse the upgrade (e.g. 401), or nullopt to
  // accept. The connection is not open yet: do not send on it.
  virtual std::optional<http::Response> on_upgrade(const http::Request& /*request*/,
                                                   Connection& /*connection*/) {
    return std::nullopt;
  }
  // The 101 has been queued; the connection may send.
  virtual void on_open(Connection& /*connection*/) {}
  // A complete text or binary message (text is valid UTF-8). `payload` is only valid during
  // the call.
  virtual void on_message(Connection& connection, ws::Opcode op, std::string_view payload) = 0;
  // The connection is closing (close frame sent or received, or the socket failed); it can no
  // longer send. Remove it from every index here: it is destroyed on a later loop turn.
  // `code` is the close code sent or received, or 1006 when the socket failed.
  virtual void on_close(Connection& /*connection*/, std::uint16_t /*code*/) {}
  // Called by the worker's periodic sweep (see Worker), after the connections' own liveness
  // checks; `now` is the worker's millisecond clock. Endpoints run their timeouts here instead
  // of arming a timer per connection.
  virtual void on_sweep(std::uint32_t /*now*/) {}
};

using EndpointFactory = std::function<std::unique_ptr<Endpoint>(Worker&)>;

}  // namespace switchboard::net
