#pragma once
// An HTTP response and its serialisation.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::http {

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  bool close = false;  // send Connection: close and close after writing

  static Response json(unsigned status, std::string body);
  // {"error":{"code":code,"message":message}} with the given status.
  static Response error(unsigned status, std::string_view code, std::string_view message);
};

// "HTTP/1.1 <status> <reason>\r\n" + Content-Type, Content-Length, Connection (keep-alive or
// close), extra headers, blank line, body.
std::string render(const Response& response, bool keep_alive);

std::string_view reason_phrase(unsigned status) noexcept;

}  // namespace switchboard::http
