#pragma once
// An HTTP/1.x request as the server sees it, and the incremental parser that produces it from
// whatever bytes a connection has buffered so far (Beast's parser underneath).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::http {

struct Request {
  std::string method;   // "GET"
  std::string target;   // "/health?x=1"
  unsigned version = 11;  // 10 or 11
  std::vector<std::pair<std::string, std::string>> headers;  // in arrival order
  std::string body;
  bool keep_alive = true;  // per HTTP version and Connection header

  // First value of a header (case-insensitive name); empty when absent.
  std::string_view header(std::string_view name) const noexcept;
  bool has_header(std::string_view name) const noexcept;
  std::string_view path() const noexcept;  // target up to '?'
  // A query parameter's value, percent-decoded; nullopt when absent.
  std::optional<std::string> query_param(std::string_view name) const;
  // A cookie's value from the Cookie header; nullopt when absent.
  std::optional<std::string> cookie(std::string_view name) const;
};

struct ParseLimits {
  std::size_t max_header_size = 8 * 1024;  // request line + headers; over → 431
  std::size_t max_body_size = 1024 * 1024; // over → 413
};

enum class ParseStatus { incomplete, complete, error };

struct ParseOutcome {
  ParseStatus status = ParseStatus::incomplete;
  std::size_t consumed = 0;   // bytes of `buffered` that make up the request (when complete)
  Request request;            // when complete
  unsigned error_status = 0;  // when error: 400, 413, 431, 501 (chunked request bodies)
  std::string_view error_reason;  // static text
  // When incomplete: the size the buffer must reach before the request can be complete (a
  // declared Content-Length still arriving), so the caller need not parse again before; 0:
  // unknown, call again on any new bytes.
  std::size_t needed = 0;
};

// Parses the first request in `buffered`. `incomplete` means: read more and call again with
// the grown buffer (the caller keeps at most max_header_size + max_body_size bytes). Bytes
// after `consumed` belong to the next request (pipelining) or, after an upgrade, to the
// WebSocket stream.
ParseOutcome parse_request(std::string_view buffered, const ParseLimits& limits);

}  // namespace switchboard::http
