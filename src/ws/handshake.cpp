// Opening handshake, server side (RFC 6455 §4.2).
#include "switchboard/ws/handshake.hpp"

#include <openssl/evp.h>

#include <cstring>

namespace switchboard::ws {
namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls fn(element) for each trimmed, non-empty element of a comma-separated list; stops and
// returns true as soon as fn does.
template <typename Fn>
bool any_element(std::string_view list, Fn&& fn) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view item = trim(list.substr(0, comma));
    if (!item.empty() && fn(item)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

bool has_token(std::string_view list, std::string_view token) {
  return any_element(list, [&](std::string_view item) { return iequals(item, token); });
}

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// RFC 6455 §4.1: the key is 16 random bytes, base64-encoded: 22 characters and "==".
bool is_valid_key(std::string_view key) {
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  for (std::size_t i = 0; i < 22; ++i) {
    if (!is_base64_char(key[i])) return false;
  }
  return true;
}

bool origin_allowed(const UpgradeRequest& request, const HandshakePolicy& policy) {
  if (!request.has_origin || policy.allowed_origins.empty()) return true;
  for (const std::string& allowed : policy.allowed_origins) {
    if (allowed == "*" || iequals(allowed, trim(request.origin))) return true;
  }
  return false;
}

std::string select_subprotocol(std::string_view offered, const HandshakePolicy& policy) {
  for (const std::string& ours : policy.subprotocols) {
    // Subprotocol names are compared exactly (RFC 6455 §4.1, §11.3.4: case-sensitive tokens).
    if (any_element(offered, [&](std::string_view item) { return item == ours; })) return ours;
  }
  return {};
}

const char* status_text(unsigned status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      out += "\\u00";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

HandshakeResult refuse(unsigned status, std::string_view reason) {
  HandshakeResult r;
  r.error = HandshakeError{status, reason};
  return r;
}

}  // namespace

HandshakeResult evaluate_upgrade(const UpgradeRequest& request, const HandshakePolicy& policy) {
  if (request.method != "GET") return refuse(405, "method not allowed");
  if (request.version < 11) return refuse(400, "HTTP/1.1 required");
  if (!has_token(request.upgrade, "websocket")) return refuse(400, "not a websocket upgrade");
  if (!has_token(request.connection, "upgrade")) return refuse(400, "missing Connection: upgrade");
  const std::string_view key = trim(request.key);
  if (!is_valid_key(key)) return refuse(400, "invalid Sec-WebSocket-Key");
  if (trim(request.ws_version) != "13") return refuse(426, "unsupported websocket version");
  if (!origin_allowed(request, policy)) return refuse(403, "origin not allowed");

  HandshakeAccept accept;
  accept.accept_key = compute_accept_key(key);
  accept.subprotocol = select_subprotocol(request.protocols, policy);
  accept.deflate = negotiate_deflate(request.extensions, policy.deflate);
  HandshakeResult result;
  result.accept = std::move(accept);
  return result;
}

std::string compute_accept_key(std::string_view key) {
  std::string input;
  input.reserve(key.size() + kGuid.size());
  input.append(key).append(kGuid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &digest_size, EVP_sha1(), nullptr) != 1) {
    return {};
  }
  // base64 of 20 bytes: 28 characters plus the terminating NUL EVP_EncodeBlock writes.
  unsigned char encoded[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  const int n = EVP_EncodeBlock(encoded, digest, static_cast<int>(digest_size));
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(n));
}

std::string render_handshake_response(const HandshakeAccept& accept) {
  std::string r;
  r.reserve(192);
  r += "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
  r += "Sec-WebSocket-Accept: ";
  r += accept.accept_key;
  r += "\r\n";
  if (!accept.subprotocol.empty()) {
    r += "Sec-WebSocket-Protocol: ";
    r += accept.subprotocol;
    r += "\r\n";
  }
  if (accept.deflate) {
    r += "Sec-WebSocket-Extensions: ";
    r += accept.deflate->response_header();
    r += "\r\n";
  }
  r += "\r\n";
  return r;
}

std::string render_handshake_error(const HandshakeError& error) {
  std::string body = "{\"error\":";
  append_json_string(body, error.reason);
  body += "}";
  std::string r = "HTTP/1.1 " + std::to_string(error.status) + " " + status_text(error.status);
  r += "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size());
  r += "\r\nConnection: close\r\n";
  if (error.status == 426) r += "Sec-WebSocket-Version: 13\r\n";
  r += "\r\n";
  r += body;
  return r;
}

}  // namespace switchboard::ws
