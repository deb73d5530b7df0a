#pragma once
// The dashboard's feed (WebSocket at kMetricsStreamPath): the numbers GET /metrics exposes,
// as JSON, once a second, to connections that gave the API key.
//
//   client → {"api_key": "<key>"}               first message, within auth_timeout
//   server → {"type": "metrics", "time": <ms since the epoch>, "metrics": {…}}   at once,
//            then every second (the shape of http::metrics_json)
//   a wrong key → close 4001; no key in time → close 4001; api_key unset → 403 at the upgrade
//
// A browser cannot put the key in a WebSocket upgrade's headers, and a query string ends up in
// access logs: the key is the first message instead.
#include <cstdint>
#include <string_view>

#include "switchboard/net/endpoint.hpp"

namespace switchboard::net {
class Server;
}

namespace switchboard::node {

inline constexpr std::string_view kMetricsStreamPath = "/api/metrics/stream";

net::EndpointFactory make_metrics_stream_endpoint(const net::Server& server);

}  // namespace switchboard::node
