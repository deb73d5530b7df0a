#pragma once
// A minimal asynchronous HTTP/1.1 client for the node's call-outs (upstream webhook, auth
// service): one POST of a JSON body per call, with a deadline, on the given io_context.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <string>

namespace switchboard::node {

// POSTs `body` (application/json) to `url` ("http://host:port/path"). `done(ok, detail)` runs
// on `io`'s thread: ok for a 2xx answer; otherwise detail says what failed (connect, timeout,
// status).
void post_webhook(boost::asio::io_context& io, const std::string& url, std::string body,
                  std::chrono::milliseconds timeout,
                  std::function<void(bool ok, std::string detail)> done);

// The same, handing the response body to `done` (auth service): status 0 means no answer.
void post_json(boost::asio::io_context& io, const std::string& url, std::string body,
               std::chrono::milliseconds timeout,
               std::function<void(unsigned status, std::string response_body)> done);

}  // namespace switchboard::node
