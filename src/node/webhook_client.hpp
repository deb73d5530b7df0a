#pragma once
// A minimal asynchronous HTTP/1.1 client for the node's call-outs (upstream webhook, auth
// service): one POST of a JSON body per call, with a deadline, on the given io_context.
//
// Limits: plain http only — an https URL fails at once with "https is not supported"; one
// connection per call (Connection: close, no pooling yet); the response body is capped at 1 MiB
// (a larger one is a failure); the deadline covers resolve, connect, send and receive together.
//
// Thread safety: both calls may be made from any thread; the request runs entirely on `io`
// (on a strand of it), and `done` is called exactly once, on a thread running `io`, never
// before the call returns — even for an invalid URL. Neither call throws. If `io` is stopped
// and destroyed before the answer, `done` is destroyed without being called.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <string>

namespace switchboard::node {

// POSTs `body` (application/json) to `url` ("http://host:port/path"). `done(ok, detail)` runs
// on `io`'s thread: ok for a 2xx answer (detail empty); otherwise detail says what failed
// (connect, timeout, "HTTP <status>: <start of the body>").
void post_webhook(boost::asio::io_context& io, const std::string& url, std::string body,
                  std::chrono::milliseconds timeout,
                  std::function<void(bool ok, std::string detail)> done);

// The same, handing any answer's status and body to `done` (auth service). Status 0 means no
// answer (bad URL, connect failure, timeout, malformed or oversized response): the second
// argument is then a short description of the failure, naming no host.
void post_json(boost::asio::io_context& io, const std::string& url, std::string body,
               std::chrono::milliseconds timeout,
               std::function<void(unsigned status, std::string response_body)> done);

}  // namespace switchboard::node
