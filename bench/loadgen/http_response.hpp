// HTTP/1.1 responses as the load generator reads them (RFC 9112): the status line, header
// fields by name, and where a response on a kept-alive connection ends. Only what the
// servers under test send is supported: bodies framed by Content-Length (section 6.3), no
// chunked transfer coding, no interim (1xx) answers outside the WebSocket upgrade.
//
// Thread safety: free functions over caller-owned bytes; no shared state.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace switchboard::bench {

// The status code of a status line "HTTP/1.x NNN ..." at the start of `head`; nullopt when
// it is not one.
std::optional<unsigned> response_status(std::string_view head);

// The value (surrounding blanks trimmed) of the first header field named `name`, compared
// without regard to case, in a response head (status line, then fields separated by CRLF);
// nullopt when there is none.
std::optional<std::string_view> header_value(std::string_view head, std::string_view name);

// One complete response found at the start of a byte range, its body still in place.
struct HttpResponse {
  unsigned status = 0;
  std::string_view body;
  std::size_t size = 0;  // head + body: how far to advance to the next response
  bool closes = false;   // `Connection: close`: nothing follows it on this connection
};

enum class ResponseParse { kComplete, kNeedMore, kError };

// Parses the response at the start of `bytes`. A response larger than `max_size` (head and
// body), without Content-Length (or with a transfer coding), or with a malformed status line
// or length is an error, and `error` says which.
ResponseParse parse_response(std::string_view bytes, std::size_t max_size, HttpResponse& out,
                             std::string_view& error);

}  // namespace switchboard::bench
