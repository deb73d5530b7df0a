// Request parsing with Beast's request_parser, and the Request accessors.
//
// The parser is incremental: a request that arrives in pieces is parsed by one Beast parser
// kept between calls (RequestParser::State), which takes body bytes as they come and
// remembers how far it has scanned a partial header or chunk line, so a request dripped byte
// by byte costs linear work. Only unconsumed bytes (a partial line) are presented again. The
// state exists only while a request is partly received: idle connections hold none.
#include "switchboard/http/request.hpp"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <limits>

#include "request_target.hpp"
#include "text.hpp"

namespace switchboard::http {
namespace {

namespace beast_http = boost::beast::http;
using Parser = beast_http::request_parser<beast_http::string_body>;
using Message = beast_http::request<beast_http::string_body>;

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

ParseOutcome waiting(std::size_t consumed) {
  ParseOutcome outcome;
  outcome.consumed = consumed;
  return outcome;
}

// Feeds the bytes from `used` on until the parser reaches `done` (header or whole message).
// Returns false with `ec` set on error, false with `ec` clear when more bytes are needed.
template <typename Done>
bool feed(Parser& parser, std::string_view input, std::size_t& used,
          boost::system::error_code& ec, Done done) {
  while (!done()) {
    const std::string_view rest = input.substr(used);
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

// RFC 9112 §3.2: a server answers 400 to an HTTP/1.1 request without Host and to any request
// with more than one Host or an invalid one; given an absolute-form target it ignores Host for
// the target's authority (§3.2.2), and routes by the target's origin-form. Returns the reason
// of a refusal, empty when the request may go on.
std::string_view apply_host_rules(Message& message) {
  const std::size_t hosts = message.count(beast_http::field::host);
  if (hosts > 1) return "more than one Host header";
  if (hosts == 0 && message.version() >= 11) return "missing Host header";
  if (hosts == 1 && !is_valid_host(to_std(message[beast_http::field::host]))) {
    return "invalid Host header";
  }
  if (std::optional<AbsoluteForm> absolute = split_absolute_form(to_std(message.target()))) {
    // RFC 9110 §4.2.1: an http URI with an empty host is invalid.
    if (absolute->authority.empty() || !is_valid_host(absolute->authority)) {
      return "invalid host in the request target";
    }
    // The authority points into the target: Host is set before the target is replaced.
    message.set(beast_http::field::host, absolute->authority);
    message.target(absolute->origin);
  }
  return {};
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

struct RequestParser::State {
  explicit State(const ParseLimits& limits) {
    parser.header_limit(header_limit_of(limits));
    parser.body_limit(limits.max_body_size);
    // Header first, without the body: an upgrade request must stop at the end of its header,
    // because what follows is WebSocket frames, not a body.
    parser.eager(false);
  }

  ParseOutcome step(std::string_view input, const ParseLimits& limits) {
    std::size_t used = 0;
    boost::system::error_code ec;
    if (!parser.is_header_done()) {
      // Beast takes the header in one piece once all of it is there (until then `input` is
      // header bytes only), scanning only the bytes it has not scanned before.
      if (!feed(parser, input, used, ec, [&] { return parser.is_header_done(); })) {
        if (ec) return fail_from(ec);
        // Beast's own limit is per section (request line, then fields); ours covers both.
        if (input.size() > limits.max_header_size) {
          return fail_from(beast_http::error::header_limit);
        }
        return waiting(used);
      }
      if (used > limits.max_header_size) return fail_from(beast_http::error::header_limit);
      if (const std::string_view refusal = apply_host_rules(parser.get()); !refusal.empty()) {
        return fail(400, refusal);
      }
      if (text::has_token(to_std(parser.get()[beast_http::field::upgrade]), "websocket")) {
        // RFC 6455 §4.1: the opening handshake is a GET without a body. One that declares a
        // body would leave us unable to tell body bytes from frames.
        if (parser.chunked() || parser.content_length().value_or(0) > 0) {
          return fail(400, "upgrade request with a body");
        }
        return complete(used);
      }
      parser.eager(true);
    }
    if (!feed(parser, input, used, ec, [&] { return parser.is_done(); })) {
      if (ec) return fail_from(ec);
      // What Beast leaves unconsumed in a body is a partial chunk line or trailer section:
      // presented again with the next bytes, it is bounded like a header.
      if (input.size() - used > limits.max_header_size) {
        return fail(400, "chunk line or trailer too long");
      }
      return waiting(used);
    }
    return complete(used);
  }

  ParseOutcome complete(std::size_t consumed) {
    ParseOutcome outcome;
    outcome.status = ParseStatus::complete;
    outcome.consumed = consumed;
    outcome.request = to_request(parser);
    return outcome;
  }

  Parser parser;
};

RequestParser::RequestParser() noexcept = default;
RequestParser::~RequestParser() = default;
RequestParser::RequestParser(RequestParser&&) noexcept = default;
RequestParser& RequestParser::operator=(RequestParser&&) noexcept = default;

void RequestParser::reset() noexcept { state_.reset(); }

ParseOutcome RequestParser::parse(std::string_view input, const ParseLimits& limits) {
  if (input.empty()) return {};
  if (!state_) state_ = std::make_unique<State>(limits);
  ParseOutcome outcome = state_->step(input, limits);
  // A Beast parser serves one message: the next request gets a new one.
  if (outcome.status != ParseStatus::incomplete) state_.reset();
  return outcome;
}

ParseOutcome parse_request(std::string_view buffered, const ParseLimits& limits) {
  return RequestParser().parse(buffered, limits);
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
