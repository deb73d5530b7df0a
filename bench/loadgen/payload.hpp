// The benchmark payload: a sequence number and a send timestamp in fixed-width hex, padded
// to the requested size with '.', all ASCII so that every protocol carries it unescaped:
//   s<16 hex digits: sequence>t<16 hex digits: steady-clock nanoseconds>.......
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::bench {

inline constexpr std::size_t kMinPayloadSize = 34;

struct PayloadStamp {
  std::uint64_t sequence = 0;
  std::uint64_t sent_ns = 0;  // CLOCK_MONOTONIC nanoseconds, comparable across processes
};

// Writes a payload of `size` bytes (at least kMinPayloadSize) into `out`, replacing it.
void write_payload(std::string& out, std::size_t size, PayloadStamp stamp);

// Reads the stamp back; nullopt if the bytes are not a payload of ours.
std::optional<PayloadStamp> read_payload(std::string_view payload);

// CLOCK_MONOTONIC in nanoseconds.
std::uint64_t monotonic_ns();

}  // namespace switchboard::bench
