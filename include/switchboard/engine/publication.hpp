#pragma once
// A publication: one event for one channel, as it travels from ingress (server API, client
// publish, broker) through history and the broker to every node with subscribers.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace switchboard::engine {

// Where a publication sits in its channel's stream: offsets increase by one per publication
// within an epoch; a new epoch (the history was lost or reset) means offsets restarted.
struct StreamPosition {
  std::uint64_t offset = 0;
  std::string epoch;
  friend bool operator==(const StreamPosition&, const StreamPosition&) = default;
};

// "<offset>@<epoch>", for logs and test failure messages.
std::string to_string(const StreamPosition& position);

// The epoch of a stream that starts anew: 8 random hex digits, so that a position from a
// stream that was lost (expired, removed, a restart) is recognised as foreign, with 2^-32 odds
// of a repeat. Any thread.
std::string new_epoch();

struct Publication {
  std::string channel;  // e.g. "conv:42", "user:7", "news"
  std::string type;     // the event type clients see, e.g. "message.new"
  std::string payload;  // JSON text, forwarded as is (never re-serialised)
  std::string id;       // message id; required when requires_ack
  bool requires_ack = false;
  std::uint64_t offset = 0;  // assigned by the history store; 0 when history is off
  std::string epoch;
  // The user id of a client publisher (receivers see it as the envelope's `publisher`), empty
  // for the server API; with skip_publisher, the user a server event is about.
  std::string publisher_user;
  // Not delivered to connections of publisher_user (typing, presence of oneself).
  bool skip_publisher = false;
  // Not stored in history (presence and typing events, broadcasts).
  bool ephemeral = false;
  // The payload is the whole client frame, sent as is without Switchboard's envelope (broker
  // ingress with format = "raw": clients that expect their backend's own message shape).
  // Such a frame names no channel, offset or id: nothing to acknowledge or recover by.
  bool raw = false;
  // Publish idempotency (Broker contract, broker.hpp): a second publish with the same key on
  // the same channel within `dedupe_window` of the first is neither stored nor delivered; its
  // completion says so (`duplicate`). An empty key, or a window of 0, is no dedupe. The key
  // and the window are the publisher's: never sent to clients nor carried to other nodes.
  std::string idempotency_key;
  std::chrono::milliseconds dedupe_window{0};
  // Set only on what a duplicate publish completes with (never on what is delivered).
  bool duplicate = false;

  bool deduplicated() const noexcept {
    return !idempotency_key.empty() && dedupe_window.count() > 0;
  }
};

// Publications are immutable once published and shared between threads and nodes' local
// deliveries without copies.
using PublicationPtr = std::shared_ptr<const Publication>;

// What a duplicate publish completes with: `publication` (the call's own copy) at `first`, the
// position the first publish with its key was stored at, marked `duplicate`. Any thread.
PublicationPtr duplicate_of(Publication publication, StreamPosition first);

// The channel and the idempotency key as one name, "<channel length>:<channel>:<key>": keys
// are per channel, and channel names may contain ':' themselves ("a:b" + "c" and "a" + "b:c"
// must not meet). Any thread.
std::string idempotency_slot(std::string_view channel, std::string_view key);

}  // namespace switchboard::engine
