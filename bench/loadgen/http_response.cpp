#include "http_response.hpp"

#include <charconv>

namespace switchboard::bench {
namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
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

bool digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

std::optional<unsigned> response_status(std::string_view head) {
  // "HTTP/1.1 200" at least: version, one space, three digits.
  if (head.size() < 12 || head.substr(0, 7) != "HTTP/1." || !digit(head[7]) || head[8] != ' ' ||
      !digit(head[9]) || !digit(head[10]) || !digit(head[11])) {
    return std::nullopt;
  }
  if (head.size() > 12 && head[12] != ' ' && head[12] != '\r') return std::nullopt;
  return static_cast<unsigned>((head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0'));
}

std::optional<std::string_view> header_value(std::string_view head, std::string_view name) {
  std::size_t line_end = head.find("\r\n");  // the status line is skipped
  while (line_end != std::string_view::npos) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string_view line = head.substr(start, line_end - start);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (iequals(trim(line.substr(0, colon)), name)) return trim(line.substr(colon + 1));
  }
  return std::nullopt;
}

ResponseParse parse_response(std::string_view bytes, std::size_t max_size, HttpResponse& out,
                             std::string_view& error) {
  const std::size_t blank = bytes.find("\r\n\r\n");
  if (blank == std::string_view::npos) {
    if (bytes.size() > max_size) {
      error = "response head too large";
      return ResponseParse::kError;
    }
    return ResponseParse::kNeedMore;
  }
  const std::string_view head = bytes.substr(0, blank + 2);  // the last field's CRLF included
  const std::optional<unsigned> status = response_status(head);
  if (!status) {
    error = "malformed status line";
    return ResponseParse::kError;
  }
  if (*status < 200) {
    error = "interim (1xx) answers are not supported";
    return ResponseParse::kError;
  }
  if (header_value(head, "Transfer-Encoding")) {
    error = "transfer codings are not supported (Content-Length framing only)";
    return ResponseParse::kError;
  }
  std::size_t length = 0;
  if (const auto value = header_value(head, "Content-Length")) {
    const char* end = value->data() + value->size();
    const auto [ptr, ec] = std::from_chars(value->data(), end, length);
    if (ec != std::errc() || ptr != end || value->empty()) {
      error = "malformed Content-Length";
      return ResponseParse::kError;
    }
  } else if (*status != 204 && *status != 304) {
    // Without a length the body would run to the end of the connection: nothing could be
    // pipelined behind it.
    error = "response without Content-Length";
    return ResponseParse::kError;
  }
  const std::size_t head_size = blank + 4;
  if (length > max_size || head_size + length > max_size) {
    error = "response too large";
    return ResponseParse::kError;
  }
  if (bytes.size() - head_size < length) return ResponseParse::kNeedMore;
  out.status = *status;
  out.body = bytes.substr(head_size, length);
  out.size = head_size + length;
  const auto connection = header_value(head, "Connection");
  out.closes = connection && iequals(*connection, "close");
  return ResponseParse::kComplete;
}

}  // namespace switchboard::bench
