#pragma once
// What a session sends through: natively one WebSocket connection; for Socket.IO one namespace
// of an Engine.IO connection, which may live on a WebSocket or on HTTP long-polling requests and
// move from one to the other. The session never sees which.
#include <cstdint>
#include <string_view>

#include "switchboard/ws/frame_builder.hpp"

namespace switchboard::net {
class Connection;
}

namespace switchboard::node {

// Thread safety: used on its session's worker thread only.
class SessionTransport {
 public:
  virtual ~SessionTransport() = default;

  // One message the session's Protocol encoded.
  virtual void send_text(std::string_view text) = 0;
  // A publication framed once for many recipients (Protocol::publication).
  virtual void send(const ws::OutboundMessage& message) = 0;
  // The frame a message was first sent as (acknowledged delivery resends it as it was).
  virtual ws::SharedFrame frame_of(const ws::OutboundMessage& message) const = 0;
  virtual void send_frame(const ws::SharedFrame& frame) = 0;
  // A binary attachment of the message just sent (Protocol::attachments).
  virtual void send_attachment(const ws::SharedFrame& frame) { send_frame(frame); }
  // Ends the session with `code`; the transport reports the end back to the session
  // (Session::on_closed), possibly from inside this call.
  virtual void close(std::uint16_t code, std::string_view reason) = 0;
  // What the hub may deliver a plain publication to directly, without the session
  // (WorkerGateway::deliver's fast path): the connection and which frame it takes, when that
  // frame is the one this transport would send (direct_recipient.hpp); nullptr: every delivery
  // goes through the session.
  virtual void* direct_target() noexcept = 0;
};

}  // namespace switchboard::node
