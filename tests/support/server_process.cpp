#include "server_process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace switchboard::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kPollStep = std::chrono::milliseconds(20);
constexpr int kStartAttempts = 3;

// Closes a socket when the scope ends, whatever path leaves it.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

// Waits for `events` on fd until the deadline; true if ready.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  for (;;) {
    int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n > 0) return true;
    if (n == 0 || errno != EINTR) return false;
  }
}

bool connect_with_deadline(int fd, std::uint16_t port, Clock::time_point deadline) {
  sockaddr_in addr = loopback(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return true;
  if (errno != EINPROGRESS) return false;
  if (!wait_for(fd, POLLOUT, deadline)) return false;
  int err = 0;
  socklen_t len = sizeof err;
  return ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
}

bool send_all(int fd, const std::string& data, Clock::time_point deadline) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    if (!wait_for(fd, POLLOUT, deadline)) return false;
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
    if (n > 0) sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads until `complete` says the answer is whole (if given), EOF, or the deadline.
std::optional<std::string> read_until(int fd, Clock::time_point deadline,
                                      const std::function<bool(const std::string&)>& complete) {
  std::string out;
  char buf[4096];
  for (;;) {
    if (complete && complete(out)) return out;
    if (!wait_for(fd, POLLIN, deadline)) return std::nullopt;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) return out;
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      return out.empty() ? std::nullopt : std::optional(out);
    if (n > 0) out.append(buf, static_cast<std::size_t>(n));
  }
}

std::optional<HttpReply> parse_reply(const std::string& raw) {
  // "HTTP/1.1 200 OK\r\n..." — the code is the second token of the status line.
  if (raw.rfind("HTTP/1.", 0) != 0 || raw.size() < 12) return std::nullopt;
  HttpReply reply;
  reply.status = std::atoi(raw.c_str() + 9);
  auto body_at = raw.find("\r\n\r\n");
  if (body_at != std::string::npos) reply.body = raw.substr(body_at + 4);
  return reply;
}

std::vector<std::string> full_args(const std::vector<std::string>& args, std::uint16_t port) {
  std::vector<std::string> all{"--port", std::to_string(port), "--bind-address", "127.0.0.1"};
  auto absent = [&](const char* flag) {
    return std::find(args.begin(), args.end(), flag) == args.end();
  };
  if (absent("--log-level")) all.insert(all.end(), {"--log-level", "warn"});
  // Tests stop servers often; the default drain would pace closes over seconds.
  if (absent("--drain-period")) all.insert(all.end(), {"--drain-period", "0"});
  all.insert(all.end(), args.begin(), args.end());
  return all;
}

}  // namespace

std::uint16_t pick_free_port() {
  Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in addr = loopback(0);
  if (fd.get() < 0 || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("cannot bind a loopback port");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

std::optional<std::string> tcp_request(std::uint16_t port, const std::string& request,
                                       std::chrono::milliseconds timeout,
                                       const std::function<bool(const std::string&)>& complete) {
  auto deadline = Clock::now() + timeout;
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0 || !connect_with_deadline(fd.get(), port, deadline)) return std::nullopt;
  if (!send_all(fd.get(), request, deadline)) return std::nullopt;
  return read_until(fd.get(), deadline, complete);
}

std::optional<HttpReply> http_get(std::uint16_t port, const std::string& path,
                                  std::chrono::milliseconds timeout) {
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nConnection: close\r\n\r\n";
  auto raw = tcp_request(port, request, timeout);  // Connection: close: the answer ends at EOF
  if (!raw) return std::nullopt;
  return parse_reply(*raw);
}

std::string server_binary(int argc, char** argv) {
  if (argc > 1) return argv[1];
  const char* env = std::getenv("SWITCHBOARD_BIN");
  return env ? env : "";
}

ServerProcess ServerProcess::start(const std::string& binary, const std::vector<std::string>& args,
                                   std::chrono::milliseconds ready_timeout) {
  if (binary.empty() || ::access(binary.c_str(), X_OK) != 0) {
    throw std::runtime_error("server binary not executable: '" + binary + "'");
  }
  auto deadline = Clock::now() + ready_timeout;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    std::uint16_t port = pick_free_port();
    ServerProcess server(ChildProcess::spawn(binary, full_args(args, port)), port);
    while (Clock::now() < deadline) {
      if (!server.running()) break;  // exited early: likely lost the port race; retry
      auto reply = http_get(port, "/health", std::chrono::milliseconds(500));
      if (reply && reply->status == 200) return server;
      std::this_thread::sleep_for(kPollStep);  // readiness has no event to wait on
    }
    if (server.running()) break;  // alive but never healthy: retrying will not help
  }
  throw std::runtime_error("server did not become healthy: " + binary);
}

bool ServerProcess::running() {
  return child_.running();
}

std::optional<int> ServerProcess::stop(std::chrono::milliseconds grace) {
  return child_.stop(grace);
}

}  // namespace switchboard::test
