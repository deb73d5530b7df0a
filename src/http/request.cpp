// Request parsing with Beast's request_parser, and the Request accessors.
//
// The parser is stateless between calls: each call re-parses `buffered` from its start. The
// header is bounded (8 KiB by default), so re-parsing costs little, and a connection needs no
// parser object while it waits for bytes (idle connections stay small).
#include "switchboard/http/request.hpp"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <limits>

#include "text.hpp"

namespace switchboard::http {
namespace {

namespace beast_http = boost::beast::http;
using Parser = beast_http::request_parser<beast_http::string_body>;

std::string_view to_std(boost::beast::string_view view) {
  return {view.data(), view.size()};
}

ParseOutcome fail(unsigned status, std::string_view reason) {
  ParseOutcome outcome;
  outcome.status = ParseStatus::error;
  outcome.error_status = status;
  outcome.error_reason = reason;
  return outcome;
}

ParseOutcome fail_from(const boost::system::error_code& ec) {
  if (ec == beast_http::error::header_limit) {
    return fail(431, "request header fields too large");
  }
  if (ec == beast_http::error::body_limit) return fail(413, "content too large");
  if (ec == beast_http::error::bad_version) return fail(400, "unsupported HTTP version");
  return fail(400, "malformed request");
}

// Feeds the bytes from `used` on until the parser reaches `done` (header or whole message).
// Returns false with `ec` set on error, false with `ec` clear when more bytes are needed.
template <typename Done>
bool feed(Parser& parser, std::string_view buffered, std::size_t& used,
          boost::system::error_code& ec, Done done) {
  while (!done()) {
    const std::string_view rest = buffered.substr(used);
    const std::size_t n = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    used += n;
    if (ec == beast_http::error::need_more) {
      ec = {};
      return false;
    }
    if (ec) return false;
    // A body state with nothing left to read returns 0 without need_more.
    if (n == 0 && !done()) return false;
  }
  return true;
}

Request to_request(Parser& parser) {
  auto message = parser.release();
  Request request;
  request.method = std::string(to_std(message.method_string()));
  request.target = std::string(to_std(message.target()));
  request.version = message.version();
  request.keep_alive = message.keep_alive();
  request.headers.reserve(static_cast<std::size_t>(std::distance(message.begin(), message.end())));
  for (const auto& field : message) {
    request.headers.emplace_back(to_std(field.name_string()), to_std(field.value()));
  }
  request.body = std::move(message.body());
  return request;
}

std::uint32_t header_limit_of(const ParseLimits& limits) {
  return static_cast<std::uint32_t>(
      std::min<std::size_t>(limits.max_header_size, std::numeric_limits<std::uint32_t>::max()));
}

}  // namespace

ParseOutcome parse_request(std::string_view buffered, const ParseLimits& limits) {
  Parser parser;
  parser.header_limit(header_limit_of(limits));
  parser.body_limit(limits.max_body_size);
  // Header first, without the body: an upgrade request must stop at the end of its header,
  // because what follows is WebSocket frames, not a body.
  parser.eager(false);
  std::size_t used = 0;
  boost::system::error_code ec;
  if (!feed(parser, buffered, used, ec, [&] { return parser.is_header_done(); })) {
    if (ec) return fail_from(ec);
    // Beast's own limit is per section (request line, then fields); ours covers both.
    if (buffered.size() > limits.max_header_size) return fail_from(beast_http::error::header_limit);
    return {};
  }
  if (used > limits.max_header_size) return fail_from(beast_http::error::header_limit);

  if (text::has_token(to_std(parser.get()[beast_http::field::upgrade]), "websocket")) {
    // RFC 6455 §4.1: the opening handshake is a GET without a body. One that declares a
    // body would leave us unable to tell body bytes from frames.
    if (parser.chunked() || parser.content_length().value_or(0) > 0) {
      return fail(400, "upgrade request with a body");
    }
  } else {
    // A declared body that has not fully arrived: say how much is missing instead of
    // parsing it, so that a body dripped in small segments is not parsed again per segment.
    const std::uint64_t declared = parser.content_length().value_or(0);
    if (!parser.chunked() && declared <= limits.max_body_size &&
        buffered.size() - used < declared) {
      ParseOutcome waiting;
      waiting.needed = used + static_cast<std::size_t>(declared);
      return waiting;
    }
    parser.eager(true);
    if (!feed(parser, buffered, used, ec, [&] { return parser.is_done(); })) {
      if (ec) return fail_from(ec);
      return {};
    }
  }
  ParseOutcome outcome;
  outcome.status = ParseStatus::complete;
  outcome.consumed = used;
  outcome.request = to_request(parser);
  return outcome;
}

std::string_view Request::header(std::string_view name) const noexcept {
  for (const auto& [key, value] : headers) {
    if (text::iequals(key, name)) return value;
  }
  return {};
}

bool Request::has_header(std::string_view name) const noexcept {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& field) { return text::iequals(field.first, name); });
}

std::string_view Request::path() const noexcept {
  const std::string_view full = target;
  return full.substr(0, full.find('?'));
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  const std::string_view full = target;
  const std::size_t question = full.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  std::string_view query = full.substr(question + 1);
  query = query.substr(0, query.find('#'));
  std::optional<std::string> found;
  text::for_each_split(query, '&', [&](std::string_view pair) {
    const std::size_t equals = pair.find('=');
    const std::string_view key = pair.substr(0, equals);
    if (found || text::url_decode(key) != name) return;
    found = equals == std::string_view::npos ? std::string()
                                             : text::url_decode(pair.substr(equals + 1));
  });
  return found;
}

std::optional<std::string> Request::cookie(std::string_view name) const {
  std::optional<std::string> found;
  for (const auto& [key, value] : headers) {
    if (found || !text::iequals(key, "cookie")) continue;
    // RFC 6265 §4.2.1: cookie-pair *( ";" SP cookie-pair ); be lenient about spacing.
    text::for_each_split(value, ';', [&](std::string_view pair) {
      pair = text::trim(pair);
      const std::size_t equals = pair.find('=');
      if (found || equals == std::string_view::npos || text::trim(pair.substr(0, equals)) != name) {
        return;
      }
      std::string_view cookie_value = text::trim(pair.substr(equals + 1));
      if (cookie_value.size() >= 2 && cookie_value.front() == '"' && cookie_value.back() == '"') {
        cookie_value = cookie_value.substr(1, cookie_value.size() - 2);
      }
      found = std::string(cookie_value);
    });
  }
  return found;
}

}  // namespace switchboard::http
