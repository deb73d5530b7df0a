#include "switchboard/socketio/engine_io.hpp"

#include <algorithm>

#include "base64.hpp"
#include "switchboard/protocol/json_writer.hpp"

namespace switchboard::socketio {
namespace {

std::optional<EioType> eio_type(char c) {
  if (c < static_cast<char>(EioType::open) || c > static_cast<char>(EioType::noop)) {
    return std::nullopt;
  }
  return static_cast<EioType>(c);
}

void separate(std::string& out) {
  if (!out.empty()) out.push_back(kEioRecordSeparator);
}

}  // namespace

std::optional<EioPacket> parse_eio_text(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const auto type = eio_type(text.front());
  if (!type) return std::nullopt;
  return EioPacket{*type, text.substr(1)};
}

bool split_eio_payload(std::string_view body, std::vector<EioPacket>& out, std::string& scratch,
                       std::size_t max_packets) {
  out.clear();
  // First pass: check every packet and size the scratch for all binary ones, so that it is
  // allocated once and the views taken in the second pass stay valid.
  std::size_t binary_bytes = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = std::min(body.find(kEioRecordSeparator, start), body.size());
    const std::string_view packet = body.substr(start, end - start);
    if (packet.empty() || out.size() == max_packets) {
      out.clear();
      return false;
    }
    if (packet.front() == 'b') {
      const auto size = detail::base64_decoded_size(packet.substr(1));
      if (!size) {
        out.clear();
        return false;
      }
      binary_bytes += *size;
      // The data is filled in below, once the scratch has its final size.
      out.push_back(EioPacket{EioType::message, packet.substr(1), true});
    } else {
      const auto parsed = parse_eio_text(packet);
      if (!parsed) {
        out.clear();
        return false;
      }
      out.push_back(*parsed);
    }
    if (end == body.size()) break;
    start = end + 1;
  }
  scratch.assign(binary_bytes, '\0');
  std::size_t at = 0;
  for (EioPacket& p : out) {
    if (!p.binary) continue;
    const std::size_t size = *detail::base64_decoded_size(p.data);
    detail::decode_base64_into(p.data, scratch.data() + at);
    p.data = std::string_view(scratch).substr(at, size);
    at += size;
  }
  return true;
}

void append_eio_payload_packet(std::string& out, EioType type, std::string_view data) {
  separate(out);
  out.push_back(static_cast<char>(type));
  out.append(data);
}

void append_eio_payload_binary(std::string& out, std::string_view bytes) {
  separate(out);
  out.push_back('b');
  detail::append_base64(out, bytes);
}

void append_open_packet(std::string& out, std::string_view sid, bool websocket_upgrade,
                        std::uint32_t ping_interval_ms, std::uint32_t ping_timeout_ms,
                        std::size_t max_payload) {
  out.push_back(static_cast<char>(EioType::open));
  protocol::JsonObject open(out);
  open.string("sid", sid)
      .raw("upgrades", websocket_upgrade ? R"(["websocket"])" : "[]")
      .number("pingInterval", ping_interval_ms)
      .number("pingTimeout", ping_timeout_ms)
      .number("maxPayload", max_payload);
  open.close();
}

std::string_view eio_error_body(EioError error) {
  switch (error) {
    case EioError::transport_unknown:
      return R"({"code":0,"message":"Transport unknown"})";
    case EioError::session_id_unknown:
      return R"({"code":1,"message":"Session ID unknown"})";
    case EioError::bad_handshake_method:
      return R"({"code":2,"message":"Bad handshake method"})";
    case EioError::bad_request:
      return R"({"code":3,"message":"Bad request"})";
    case EioError::forbidden:
      return R"({"code":4,"message":"Forbidden"})";
    case EioError::unsupported_protocol_version:
      return R"({"code":5,"message":"Unsupported protocol version"})";
  }
  return R"({"code":3,"message":"Bad request"})";  // (not an EioError value)
}

unsigned eio_error_status(EioError error) {
  return error == EioError::forbidden ? 403 : 400;
}

}  // namespace switchboard::socketio
