// Fuzzes the path from raw bytes on a fresh connection to the handshake answer: HTTP parsing
// (sb_http), the bridge to ws::UpgradeRequest, evaluate_upgrade (sb_ws) and rendering.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "switchboard/http/request.hpp"
#include "switchboard/http/response.hpp"
#include "switchboard/http/upgrade_request.hpp"
#include "switchboard/ws/handshake.hpp"

namespace {

using namespace switchboard;

const ws::HandshakePolicy& policy() {
  static const ws::HandshakePolicy kPolicy = [] {
    ws::HandshakePolicy p;
    p.allowed_origins = {"https://app.example.com", "http://localhost:3000"};
    p.subprotocols = {"switchboard.v1", "chat"};
    p.deflate.enabled = true;
    return p;
  }();
  return kPolicy;
}

void check(bool condition) {
  if (!condition) __builtin_trap();
}

void answer(const http::Request& request) {
  if (!http::is_websocket_upgrade(request)) {
    const std::string out =
        http::render(http::Response::json(200, request.body), request.keep_alive);
    check(out.starts_with("HTTP/1.1 200 OK\r\n"));
    return;
  }
  const ws::UpgradeRequest upgrade = http::to_upgrade_request(request);
  const ws::HandshakeResult result = ws::evaluate_upgrade(upgrade, policy());
  const std::string out = result.accept ? ws::render_handshake_response(*result.accept)
                                        : ws::render_handshake_error(result.error);
  check(out.starts_with("HTTP/1.1 "));
  check(out.find("\r\n\r\n") != std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  http::ParseLimits limits;
  limits.max_header_size = 4096;
  limits.max_body_size = 4096;
  std::string_view buffered(reinterpret_cast<const char*>(data), size);
  // Pipelined requests: answer each in turn, as a connection would.
  for (int i = 0; i < 16 && !buffered.empty(); ++i) {
    const http::ParseOutcome outcome = http::parse_request(buffered, limits);
    if (outcome.status == http::ParseStatus::error) {
      check(outcome.error_status >= 400 && outcome.error_status < 600);
      http::render(http::Response::error(outcome.error_status, "bad_request", outcome.error_reason),
                   false);
      break;
    }
    if (outcome.status == http::ParseStatus::incomplete) break;
    check(outcome.consumed > 0 && outcome.consumed <= buffered.size());
    // One byte short of a complete request is never a request.
    check(http::parse_request(buffered.substr(0, outcome.consumed - 1), limits).status ==
          http::ParseStatus::incomplete);
    answer(outcome.request);
    if (http::is_websocket_upgrade(outcome.request)) break;  // the rest is frames
    buffered.remove_prefix(outcome.consumed);
  }
  return 0;
}
