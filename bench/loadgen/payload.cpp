#include "payload.hpp"

#include <time.h>

namespace switchboard::bench {
namespace {

void write_hex(char* out, std::uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out[i] = kDigits[value & 0xF];
    value >>= 4;
  }
}

bool read_hex(const char* in, std::uint64_t& value) {
  std::uint64_t result = 0;
  for (int i = 0; i < 16; ++i) {
    const char c = in[i];
    unsigned digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<unsigned>(c - 'a' + 10);
    } else {
      return false;
    }
    result = (result << 4) | digit;
  }
  value = result;
  return true;
}

}  // namespace

void write_payload(std::string& out, std::size_t size, PayloadStamp stamp) {
  if (size < kMinPayloadSize) size = kMinPayloadSize;
  out.assign(size, '.');
  out[0] = 's';
  write_hex(out.data() + 1, stamp.sequence);
  out[17] = 't';
  write_hex(out.data() + 18, stamp.sent_ns);
}

std::optional<PayloadStamp> read_payload(std::string_view payload) {
  if (payload.size() < kMinPayloadSize || payload[0] != 's' || payload[17] != 't') {
    return std::nullopt;
  }
  PayloadStamp stamp;
  if (!read_hex(payload.data() + 1, stamp.sequence) ||
      !read_hex(payload.data() + 18, stamp.sent_ns)) {
    return std::nullopt;
  }
  return stamp;
}

std::uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace switchboard::bench
