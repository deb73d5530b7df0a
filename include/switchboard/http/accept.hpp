#pragma once
// Content negotiation over a request's Accept header (RFC 9110 §12.5.1), for the routes that
// can answer in more than one format (GET /metrics: Prometheus text or JSON).
#include <cstddef>
#include <span>
#include <string_view>

namespace switchboard::http {

// Which of `offered` (media types "type/subtype", the server's preference first) the Accept
// header prefers. Each offered type gets the quality of the most specific range that matches
// it (type/subtype over type/* over */*); the highest quality wins. On a tie the type the
// header names itself (not through a wildcard) first wins, then the first offered, so
// `application/json, text/plain, */*` (axios, jQuery) picks JSON and `*/*` (curl, fetch) picks
// the server's preference. An empty header accepts anything: 0. A header that gives every
// offered type quality 0 (or matches none): offered.size(). Malformed elements are skipped.
std::size_t negotiate(std::string_view accept, std::span<const std::string_view> offered);

}  // namespace switchboard::http
