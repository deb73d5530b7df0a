#pragma once
// A minimal asynchronous HTTP/1.1 client for the node's call-outs (upstream webhook, auth
// service): one POST of a JSON body per call, with a deadline, on the given io_context, over a
// bounded pool of kept-alive connections (callout_pool.hpp).
//
// Limits: plain http only — an https URL fails at once with "https is not supported". At most
// `limits.max_connections` connections per io_context to one host:port; further calls wait for
// one in FIFO order, at most `limits.max_queued` of them — one more fails at once ("too many
// call-outs waiting …", counted in `stats`). A connection is reused when the answer allows it
// (HTTP/1.1 without `Connection: close`, complete, nothing sent after it) and closed after
// `limits.idle_timeout` unused. A request on a reused connection that fails before any byte of
// an answer arrived (the server had closed the kept-alive connection) is sent once more on a
// fresh connection; one on a fresh connection never is (the server may have acted on it). The
// response body is capped at 1 MiB (a larger one is a failure). The deadline covers the whole
// call: waiting for a connection, resolve, connect, send and receive, and the retry.
//
// Thread safety: the calls may be made from any thread; the request runs entirely on `io` (on
// the pool's strand), and `done` is called exactly once, on a thread running `io`, never before
// the call returns — even for an invalid URL or a full queue. Neither call throws. If `io` is
// stopped and destroyed before the answer, `done` is destroyed without being called.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "callout_pool.hpp"

namespace switchboard::node {

// Counters a caller shares with its call-outs (written on `io`'s threads, read anywhere).
struct CalloutStats {
  std::atomic<std::uint64_t> rejected_total{0};  // refused at once: max_queued calls waiting
};

// One call-out destination, as its caller configures it once.
struct Callout {
  std::string url;                          // "http://host:port/path"
  std::chrono::milliseconds timeout{5000};  // the whole call, see the Limits paragraph
  CalloutLimits limits;
  std::shared_ptr<CalloutStats> stats;  // optional
};

// POSTs `body` (application/json) to `callout.url`. `done(ok, detail)` runs on `io`'s thread:
// ok for a 2xx answer (detail empty); otherwise detail says what failed (connect, timeout,
// queue full, "HTTP <status>: <start of the body>").
void post_webhook(boost::asio::io_context& io, const Callout& callout, std::string body,
                  std::function<void(bool ok, std::string detail)> done);

// The same, handing any answer's status and body to `done` (auth service). Status 0 means no
// answer (bad URL, queue full, connect failure, timeout, malformed or oversized response): the
// second argument is then a short description of the failure, naming no host.
void post_json(boost::asio::io_context& io, const Callout& callout, std::string body,
               std::function<void(unsigned status, std::string response_body)> done);

// Closes the idle kept-alive connections of every call-out pool of `io`, so that a loop that
// ends when it runs out of work (the node's housekeeping loop at shutdown) is not held by their
// idle timers. Any thread; asynchronous; calls still in progress are not affected.
void close_idle_callouts(boost::asio::io_context& io);

}  // namespace switchboard::node
