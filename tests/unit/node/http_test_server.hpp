#pragma once
// A scripted HTTP/1.1 server for the call-out tests: listens on 127.0.0.1 (an ephemeral port),
// runs its own io_context on a background thread, records every request it reads and answers
// each path as scripted — including not at all, or with bytes that are not HTTP, after a delay,
// and keeping the connection open for the next request or not. It counts the connections it
// accepted and the most it had open at once (a connection is open from its accept until the
// server closes it or reads the client's close).
//
// Thread safety: route() and received() may be called from any thread; the destructor stops
// the server thread and closes every connection it still holds.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace switchboard::test {

class HttpTestServer {
 public:
  enum class Behaviour {
    answer,   // write `status` and `body`, then close
    hang,     // read the request, then never answer (the connection stays open)
    close,    // read the request, then close without a byte
    garbage,  // read the request, then write `body` raw (not HTTP) and close
  };
  struct Reply {
    Behaviour behaviour = Behaviour::answer;
    unsigned status = 200;
    std::string body;
    bool keep_alive = false;             // answer: keep the connection for the next request
    std::chrono::milliseconds delay{0};  // answer: this long after reading the request
  };
  struct Request {
    std::string method;
    std::string target;
    std::string content_type;
    std::string host;
    std::string body;
  };

  HttpTestServer();
  ~HttpTestServer();
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  // Scripts the reply for requests whose target's path is `path`; unscripted paths get 404.
  void route(const std::string& path, Reply reply);
  // The n-th request on `path` gets replies[n] (the last one once they run out).
  void route(const std::string& path, std::vector<Reply> replies);
  std::string url(const std::string& path_and_query) const;
  std::uint16_t port() const { return port_; }
  std::vector<Request> received() const;
  std::size_t accepted() const;  // connections accepted so far
  std::size_t max_open() const;  // the most connections open at once so far

 private:
  class Session;
  void accept();
  Reply reply_for(const Request& request);
  void opened();
  void closed();

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  struct Route {
    std::vector<Reply> replies;
    std::size_t served = 0;
  };
  std::map<std::string, Route> routes_;
  std::vector<Request> received_;
  std::size_t accepted_ = 0;
  std::size_t open_ = 0;
  std::size_t max_open_ = 0;
  std::vector<std::shared_ptr<Session>> hanging_;  // touched only on the server thread
  std::thread thread_;
};

// A loopback port with nothing listening on it (bound, then released): connecting is refused.
std::uint16_t closed_port();

}  // namespace switchboard::test
