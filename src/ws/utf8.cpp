// UTF-8 validation as a small DFA over byte classes (RFC 3629 §4 grammar).
//
// Every byte is mapped to a class; the state says how many continuation bytes are still owed
// and, for the four lead bytes with a narrowed second-byte range (E0, ED, F0, F4), which range
// the next byte must fall into. That narrowing is what rejects overlong forms, surrogates and
// code points above U+10FFFF on the first byte that makes them so (fail-fast, Autobahn 6.x).
#include "switchboard/ws/utf8.hpp"

#include <array>
#include <cstring>

namespace switchboard::ws {
namespace {

enum Class : std::uint8_t {
  kAscii,    // 00..7F
  kCont8,    // 80..8F
  kCont9,    // 90..9F
  kContA,    // A0..BF
  kInvalid,  // C0, C1, F5..FF
  kLead2,    // C2..DF
  kLeadE0,   // E0: second byte A0..BF (else overlong)
  kLead3,    // E1..EC, EE, EF
  kLeadED,   // ED: second byte 80..9F (else surrogate)
  kLeadF0,   // F0: second byte 90..BF (else overlong)
  kLead4,    // F1..F3
  kLeadF4,   // F4: second byte 80..8F (else above U+10FFFF)
  kClassCount,
};

// States 0 (accept) and 1 (reject) are fixed by the header; the rest are private.
enum State : std::uint8_t {
  kOk = 0,
  kBad = 1,
  kNeed1,    // one continuation byte owed
  kNeed2,    // two owed
  kNeed3,    // three owed
  kAfterE0,  // owes A0..BF then one more
  kAfterED,  // owes 80..9F then one more
  kAfterF0,  // owes 90..BF then two more
  kAfterF4,  // owes 80..8F then two more
  kStateCount,
};

constexpr Class classify(unsigned b) {
  if (b < 0x80) return kAscii;
  if (b < 0x90) return kCont8;
  if (b < 0xA0) return kCont9;
  if (b < 0xC0) return kContA;
  if (b < 0xC2) return kInvalid;
  if (b < 0xE0) return kLead2;
  if (b == 0xE0) return kLeadE0;
  if (b == 0xED) return kLeadED;
  if (b < 0xF0) return kLead3;
  if (b == 0xF0) return kLeadF0;
  if (b < 0xF4) return kLead4;
  if (b == 0xF4) return kLeadF4;
  return kInvalid;
}

constexpr std::size_t kTableSize = std::size_t{kStateCount} * kClassCount;

constexpr std::array<std::uint8_t, 256> make_classes() {
  std::array<std::uint8_t, 256> t{};
  for (unsigned b = 0; b < 256; ++b) t[b] = classify(b);
  return t;
}

constexpr std::uint8_t next_state(State s, Class c) {
  const bool cont = c == kCont8 || c == kCont9 || c == kContA;
  switch (s) {
    case kOk:
      switch (c) {
        case kAscii:
          return kOk;
        case kLead2:
          return kNeed1;
        case kLeadE0:
          return kAfterE0;
        case kLead3:
          return kNeed2;
        case kLeadED:
          return kAfterED;
        case kLeadF0:
          return kAfterF0;
        case kLead4:
          return kNeed3;
        case kLeadF4:
          return kAfterF4;
        default:
          return kBad;
      }
    case kNeed1:
      return cont ? kOk : kBad;
    case kNeed2:
      return cont ? kNeed1 : kBad;
    case kNeed3:
      return cont ? kNeed2 : kBad;
    case kAfterE0:
      return c == kContA ? kNeed1 : kBad;
    case kAfterED:
      return (c == kCont8 || c == kCont9) ? kNeed1 : kBad;
    case kAfterF0:
      return (c == kCont9 || c == kContA) ? kNeed2 : kBad;
    case kAfterF4:
      return c == kCont8 ? kNeed2 : kBad;
    default:
      return kBad;
  }
}

constexpr std::array<std::uint8_t, kTableSize> make_transitions() {
  std::array<std::uint8_t, kTableSize> t{};
  for (unsigned s = 0; s < kStateCount; ++s) {
    for (unsigned c = 0; c < kClassCount; ++c) {
      t[s * kClassCount + c] = next_state(static_cast<State>(s), static_cast<Class>(c));
    }
  }
  return t;
}

constexpr auto kClasses = make_classes();
constexpr auto kTransitions = make_transitions();

constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

}  // namespace

bool Utf8Validator::feed(const std::uint8_t* data, std::size_t size) noexcept {
  std::uint8_t state = state_;
  if (state == kReject) return false;
  const std::uint8_t* p = data;
  const std::uint8_t* const end = data + size;
  while (p < end) {
    if (state == kAccept && *p < 0x80) {
      // ASCII fast path between sequences: eight plain bytes at a time, then the run's tail.
      while (end - p >= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, sizeof word);
        if ((word & kHighBits) != 0) break;
        p += 8;
      }
      while (p < end && *p < 0x80) ++p;
      continue;
    }
    state = kTransitions[state * kClassCount + kClasses[*p]];
    ++p;
    if (state == kReject) break;
  }
  state_ = state;
  return state != kReject;
}

bool is_valid_utf8(std::string_view s) noexcept {
  Utf8Validator v;
  return v.feed(s) && v.complete();
}

}  // namespace switchboard::ws
