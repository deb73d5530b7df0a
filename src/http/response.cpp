// Response construction and HTTP/1.1 serialisation.
#include "switchboard/http/response.hpp"

#include <cstdio>

#include "text.hpp"

namespace switchboard::http {
namespace {

// JSON string contents (without the quotes) for the error envelope.
void append_json_escaped(std::string& out, std::string_view s) {
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
}

// RFC 9110 §6.4.1: 1xx, 204 and 304 responses carry no content, and 1xx/204 no
// Content-Length.
bool has_content(unsigned status) noexcept {
  return status >= 200 && status != 204 && status != 304;
}

bool has_header(const Response& response, std::string_view name) noexcept {
  for (const auto& field : response.headers) {
    if (text::iequals(field.first, name)) return true;
  }
  return false;
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

}  // namespace

Response Response::json(unsigned status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

Response Response::error(unsigned status, std::string_view code, std::string_view message) {
  std::string body = R"({"error":{"code":")";
  append_json_escaped(body, code);
  body += R"(","message":")";
  append_json_escaped(body, message);
  body += "\"}}";
  return json(status, std::move(body));
}

std::string render(const Response& response, bool keep_alive) {
  std::string out;
  out.reserve(128 + response.body.size());
  out.append("HTTP/1.1 ").append(std::to_string(response.status)).append(" ");
  out.append(reason_phrase(response.status)).append("\r\n");
  const bool content = has_content(response.status);
  if (content && !response.content_type.empty()) {
    append_field(out, "Content-Type", response.content_type);
  }
  // A response to HEAD carries the Content-Length of the GET response in its extra headers
  // (see Router) and no body; only then does an extra Content-Length replace ours.
  if (content && !has_header(response, "Content-Length")) {
    append_field(out, "Content-Length", std::to_string(response.body.size()));
  }
  // A 101 names its own Connection (Upgrade) in the extra headers.
  if (response.status >= 200) {
    append_field(out, "Connection", keep_alive && !response.close ? "keep-alive" : "close");
  }
  for (const auto& [name, value] : response.headers) append_field(out, name, value);
  out += "\r\n";
  if (content) out += response.body;
  return out;
}

std::string_view reason_phrase(unsigned status) noexcept {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      break;
  }
  return "Unknown";
}

}  // namespace switchboard::http
