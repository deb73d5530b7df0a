// libFuzzer target for parse_envelope: any input is parsed without crashing, and when it parses,
// the envelope keeps its promises: a non-empty type, and a payload that is either absent or a
// JSON value on its own (checked with Boost.JSON, an independent parser) lying inside the input.
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "switchboard/protocol/envelope.hpp"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const switchboard::protocol::EnvelopeParse r = switchboard::protocol::parse_envelope(text);
  if (r.error != switchboard::protocol::EnvelopeError::none) {
    check(!r.detail.empty());
    return 0;
  }
  const auto& e = r.envelope;
  check(!e.type.empty());
  if (!e.payload.empty()) {
    check(e.payload.data() >= text.data() &&
          e.payload.data() + e.payload.size() <= text.data() + text.size());
    boost::json::error_code ec;
    boost::json::parse(e.payload, ec);
    check(!ec);
  }
  return 0;
}
