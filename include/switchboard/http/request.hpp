#pragma once
// An HTTP/1.x request as the server sees it, and the incremental parser that produces it from
// the bytes a connection receives (Beast's parser underneath).
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::http {

struct Request {
  std::string method;   // "GET"
  std::string target;   // "/health?x=1" (origin-form; an absolute-form target is reduced to it)
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
  // Bytes of the input the parser took. Complete: the request ends there; what follows belongs
  // to the next request (pipelining) or, after an upgrade, to the WebSocket stream.
  // Incomplete: the caller drops them; the bytes after them (a partial request line, header
  // or chunk line) are presented again on the next call, followed by whatever arrives next.
  std::size_t consumed = 0;
  Request request;            // when complete
  unsigned error_status = 0;  // when error: 400, 413 or 431
  std::string_view error_reason;  // static text
};

// Parses one request at a time, incrementally: between calls it keeps the state of a request
// that has partly arrived (Beast's parser, which remembers how far it has scanned), so every
// byte is scanned once however the request is split, and body bytes are taken as they come.
// Only while a request is partly received does it hold memory (one allocation, released when
// the request completes or fails): an idle connection's parser is one null pointer.
//
// Besides framing (RFC 9112 §6), it applies the Host rules of §3.2: an HTTP/1.1 request
// without Host, or any request with more than one Host or an invalid one, is an error (400);
// an absolute-form target ("http://host:port/path?q", §3.2.2) is reduced to its origin-form
// ("/path?q"), its authority replacing Host.
//
// Thread safety: one parser per connection, used by one thread at a time.
class RequestParser {
 public:
  RequestParser() noexcept;
  ~RequestParser();
  RequestParser(RequestParser&&) noexcept;
  RequestParser& operator=(RequestParser&&) noexcept;

  // Goes on with `input`: the bytes not consumed by the previous call, then the new ones.
  // After a complete request or an error, the next call starts a new request.
  ParseOutcome parse(std::string_view input, const ParseLimits& limits);
  // True while a request has partly arrived.
  bool in_progress() const noexcept { return state_ != nullptr; }
  // Forgets a partly received request.
  void reset() noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Parses the first request in `buffered` with a fresh parser (for callers that hold a whole
// message, and tests). `consumed` matters only when the request is complete.
ParseOutcome parse_request(std::string_view buffered, const ParseLimits& limits);

}  // namespace switchboard::http
