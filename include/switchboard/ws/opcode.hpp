#pragma once
// WebSocket opcodes (RFC 6455 §5.2).
#include <cstdint>

namespace switchboard::ws {

enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

constexpr bool is_control(Opcode op) noexcept { return (static_cast<std::uint8_t>(op) & 0x8) != 0; }

}  // namespace switchboard::ws
