#pragma once
// The seam between a session and the wire format its client speaks. A Session decides what to
// say (a reply, an error, a publication); its Protocol decides how that looks on the wire. The
// native JSON envelope is one implementation (NativeProtocol); Socket.IO is another
// (socketio/). Both produce the same commands for the session, so channels, users,
// permissions, acks and history behave the same whatever the client speaks.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "switchboard/protocol/envelope.hpp"
#include "switchboard/ws/frame_builder.hpp"

namespace switchboard {
struct SessionInfo;
}

namespace switchboard::node {

struct Delivery;
using DeliveryPtr = std::shared_ptr<const Delivery>;

// One message from the session to its client, in the native envelope's terms.
struct Outgoing {
  std::string_view type;
  std::string_view payload;  // raw JSON; empty: none
  std::string_view id;       // written as the envelope's "id" (a request's, echoed)
  std::string_view channel;  // written as a top-level "channel" (snapshots)
  // The id of the request this message answers, if any: what a protocol with per-request
  // answers (Socket.IO acks) answers. The native envelope shows `id` only.
  std::string_view reply_to;
};

// A client message decoded into the session's terms.
struct Decoded {
  enum class Kind : std::uint8_t {
    command,    // `envelope` holds the command (auth, subscribe, ack, a custom event, ...)
    ignored,    // nothing for the session (a protocol-level message)
    leave,      // the client ends the session (Socket.IO DISCONNECT)
    malformed,  // answered with `error_code`/`detail` and counted as a violation
  };
  Kind kind = Kind::command;
  protocol::Envelope envelope;
  std::string_view error_code;  // "bad_json" or "bad_request"
  std::string_view detail;      // static text
};

// Thread safety: a Protocol is used on its session's worker thread only.
class Protocol {
 public:
  virtual ~Protocol() = default;

  // Decodes one complete client message. Views in the result point into `text` or into
  // thread-local storage: valid until the next decode on the same thread.
  virtual Decoded decode(std::string_view text) = 0;

  // Appends the wire form of `message` to `out` (nothing, when the protocol has no such
  // message: Socket.IO has no greeting before its CONNECT).
  virtual void encode(std::string& out, const Outgoing& message) = 0;
  // Appends an error whose payload is {"code","message","ref"?,...} (`payload`); `ref` names
  // the request it refuses (its id, or its type).
  virtual void encode_error(std::string& out, std::string_view payload, std::string_view ref) = 0;
  // The session has started (authenticated, or anonymous): appends what the protocol says
  // then, if anything.
  virtual void encode_started(std::string& out, const SessionInfo& info) = 0;

  // The frame of a publication for this protocol's clients: built once per protocol in use,
  // shared by every recipient that speaks it.
  virtual const ws::OutboundMessage& publication(const DeliveryPtr& delivery) = 0;
  // Binary frames that follow that frame (Socket.IO's attachments of a BINARY_EVENT); valid
  // until the next publication() call.
  virtual std::span<const ws::SharedFrame> attachments(const DeliveryPtr& /*delivery*/) {
    return {};
  }
  // The key by which the client acknowledges `delivery` (the `ack` command's id).
  virtual std::string ack_key(const Delivery& delivery) const = 0;

  // True when the session must authenticate as it opens, with the token it was opened with
  // (Socket.IO's CONNECT carries it; there is no later `auth` to wait for).
  virtual bool authenticates_at_open() const noexcept { return false; }
  // How the client is connected, as authenticators are told (auth::AuthRequest::transport).
  virtual std::string_view transport() const noexcept = 0;
};

}  // namespace switchboard::node
