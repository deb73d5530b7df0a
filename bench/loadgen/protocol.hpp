// What the load generator speaks on top of WebSocket. A protocol is stateless and shared by
// every connection of a process; the little per-connection state it needs (where the
// connection is in the protocol's own opening exchange) lives in the connection as an
// opaque `phase` byte. Adding a protocol (e.g. Switchboard's: JWT auth message, subscribe to
// a channel, JSON envelope) means one more class and one more line in make_protocol.
//
// Thread safety: const methods only; one instance may serve any number of connections on
// the thread that owns them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace switchboard::bench {

// Where a protocol sends the messages it must answer with (handshake steps, pongs).
class MessageSink {
 public:
  virtual void send_text(std::string_view message) = 0;

 protected:
  ~MessageSink() = default;
};

struct ProtocolEvent {
  enum class Kind { kNothing, kReady, kPayload, kFailed };
  Kind kind = Kind::kNothing;
  std::string_view data;  // the payload (kPayload) or the reason (kFailed)
};

class Protocol {
 public:
  virtual ~Protocol() = default;

  virtual std::string_view name() const = 0;

  // The request target for the upgrade, given the URL path the user asked for (empty: the
  // protocol's default path).
  virtual std::string request_target(std::string_view path) const = 0;

  // Runs once the WebSocket is open; may send messages. Returns the initial phase;
  // kReadyPhase means the connection can publish and receive payloads right away.
  virtual std::uint8_t on_open(MessageSink& sink) const = 0;

  // Interprets one complete text or binary message. May advance `phase` and send replies.
  virtual ProtocolEvent on_message(std::uint8_t& phase, std::string_view message,
                                   MessageSink& sink) const = 0;

  // Appends the message that publishes `payload` to everyone (one WebSocket message).
  virtual void append_publish(std::string& out, std::string_view payload) const = 0;

  static constexpr std::uint8_t kReadyPhase = 0xFF;
};

// Settings some protocols need (switchboard, switchboard-socketio: the JWT secret and the
// channel).
struct ProtocolOptions {
  std::string jwt_secret = "bench-secret";
  std::string channel = "bench";
};

// "plain", "socketio", "switchboard" or "switchboard-socketio"; nullptr for an unknown name.
std::unique_ptr<Protocol> make_protocol(std::string_view name, const ProtocolOptions& options = {});

}  // namespace switchboard::bench
