#pragma once
// What the hub holds beside a subscriber that WorkerGateway::deliver may serve without the
// session (a plain publication): the subscriber's WebSocket connection, and which frame it
// takes — the node's own (native sessions) or the worker's Socket.IO frame of the root
// namespace (its sessions on a WebSocket). The kind is the pointer's low bit (a Connection is
// aligned), so that a fan-out reads no more per recipient than the one pointer.
#include <cstdint>

namespace switchboard::net {
class Connection;
}

namespace switchboard::node {

enum class DirectFrame : std::uintptr_t { native = 0, socketio_root = 1 };

// nullptr for no connection: every delivery then goes through the session.
inline void* direct_recipient(net::Connection* connection, DirectFrame frame) noexcept {
  if (connection == nullptr) return nullptr;
  return reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(connection) |
                                 static_cast<std::uintptr_t>(frame));
}

inline DirectFrame direct_frame(const void* recipient) noexcept {
  return static_cast<DirectFrame>(reinterpret_cast<std::uintptr_t>(recipient) & 1);
}

inline net::Connection* direct_connection(void* recipient) noexcept {
  return reinterpret_cast<net::Connection*>(reinterpret_cast<std::uintptr_t>(recipient) &
                                            ~std::uintptr_t{1});
}

}  // namespace switchboard::node
