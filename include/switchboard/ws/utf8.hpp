#pragma once
// Incremental UTF-8 validation (RFC 3629) for text messages that arrive in pieces.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace switchboard::ws {

// Validates a byte stream fed in arbitrary pieces. Fails fast: feed() returns false on the
// first byte that can no longer start or continue a valid sequence (overlong forms,
// surrogates U+D800..U+DFFF and code points above U+10FFFF included), so a connection can
// be failed with 1007 before the rest of the message arrives (Autobahn 6.x fail-fast).
//
// Thread safety: distinct objects are independent; one object is not shared.
class Utf8Validator {
 public:
  // Returns false once the stream is invalid; the validator then stays invalid until reset().
  bool feed(const std::uint8_t* data, std::size_t size) noexcept;
  bool feed(std::string_view s) noexcept {
    return feed(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  }
  // True when everything fed so far is valid and no multi-byte sequence is left open.
  bool complete() const noexcept { return state_ == kAccept; }
  void reset() noexcept { state_ = kAccept; }

 private:
  static constexpr std::uint8_t kAccept = 0;
  static constexpr std::uint8_t kReject = 1;
  std::uint8_t state_ = kAccept;
};

// Whole-buffer validation.
bool is_valid_utf8(std::string_view s) noexcept;

}  // namespace switchboard::ws
