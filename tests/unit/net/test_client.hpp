#pragma once
// A minimal blocking WebSocket client for in-process server tests: plain POSIX sockets (or
// TLS over them, after start_tls), masked client frames, unmasked server frames. Every read
// is bounded by a receive timeout so a missing frame fails the test instead of hanging it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::net::testing {

struct Frame {
  std::uint8_t opcode = 0;
  std::string payload;
  std::uint16_t close_code() const {
    return payload.size() >= 2 ? static_cast<std::uint16_t>(
                                     (static_cast<std::uint8_t>(payload[0]) << 8) |
                                     static_cast<std::uint8_t>(payload[1]))
                               : 0;
  }
};

class TestClient {
 public:
  // Connects to 127.0.0.1:port. `receive_buffer` > 0 shrinks SO_RCVBUF (slow consumers).
  explicit TestClient(std::uint16_t port, int receive_timeout_ms = 5000, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    timeval tv{receive_timeout_ms / 1000, (receive_timeout_ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~TestClient() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (tls_ != nullptr) SSL_CTX_free(tls_);
    if (fd_ >= 0) ::close(fd_);
  }

  // Performs a TLS handshake (any certificate accepted); afterwards everything goes through
  // TLS. False if the handshake fails.
  bool start_tls() {
    tls_ = SSL_CTX_new(TLS_client_method());
    ssl_ = SSL_new(tls_);
    SSL_set_fd(ssl_, fd_);
    return SSL_connect(ssl_) == 1;
  }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool connected() const { return connected_; }

  // Sends the upgrade request for `path`; returns the status code of the response (and its
  // head, up to the blank line, in `head` when given).
  int upgrade(std::string_view path, std::string* head = nullptr) {
    std::string request = "GET " + std::string(path) +
                          " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\n\r\n";
    send_raw(request);
    return read_upgrade_response(head);
  }
  // The answer to an upgrade request sent otherwise (or handed to the server by a host): its
  // status code, and its head in `head` when given; 0 if the connection ended first.
  int read_upgrade_response(std::string* head = nullptr) {
    std::string received;
    const int status = read_head(received) ? std::atoi(received.c_str() + 9) : 0;
    if (head != nullptr) *head = std::move(received);
    return status;
  }

  // Reads one HTTP response (header, then a Content-Length body); returns its status code
  // and puts the body in `body`, or 0 if the connection ended first.
  int read_http_response(std::string* body = nullptr) {
    std::string head;
    if (!read_head(head)) return 0;
    std::size_t length = 0;
    for (const char* name : {"Content-Length: ", "content-length: "}) {
      if (const auto at = head.find(name); at != std::string::npos) {
        length = std::strtoul(head.c_str() + at + std::strlen(name), nullptr, 10);
      }
    }
    std::string content(length, '\0');
    if (length > 0 && !read_exact(reinterpret_cast<std::uint8_t*>(content.data()), length)) return 0;
    if (body != nullptr) *body = std::move(content);
    return std::atoi(head.c_str() + 9);
  }

  // Bytes straight onto the socket, under the TLS layer if there is one (forged records).
  void send_raw_below_tls(std::string_view bytes) {
    ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }

  void send_raw(std::string_view bytes) {
    if (ssl_ != nullptr) {
      SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
      return;
    }
    ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }

  void send_frame(std::uint8_t opcode, std::string_view payload, bool fin = true) {
    std::string frame;
    frame.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
    const std::uint8_t mask[4] = {0x11, 0x22, 0x33, 0x44};
    if (payload.size() < 126) {
      frame.push_back(static_cast<char>(0x80 | payload.size()));
    } else if (payload.size() <= 0xFFFF) {
      frame.push_back(static_cast<char>(0x80 | 126));
      frame.push_back(static_cast<char>(payload.size() >> 8));
      frame.push_back(static_cast<char>(payload.size() & 0xFF));
    } else {
      frame.push_back(static_cast<char>(0x80 | 127));
      for (int i = 7; i >= 0; --i) frame.push_back(static_cast<char>((payload.size() >> (8 * i)) & 0xFF));
    }
    frame.append(reinterpret_cast<const char*>(mask), 4);
    for (std::size_t i = 0; i < payload.size(); ++i) {
      frame.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
    }
    send_raw(frame);
  }
  void send_text(std::string_view text) { send_frame(0x1, text); }
  void send_close(std::uint16_t code) {
    const char body[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    send_frame(0x8, std::string_view(body, 2));
  }

  // The next frame, or nullopt on EOF, error or timeout.
  std::optional<Frame> read_frame() {
    std::uint8_t head[2];
    if (!read_exact(head, 2)) return std::nullopt;
    Frame frame;
    frame.opcode = head[0] & 0x0F;
    std::uint64_t length = head[1] & 0x7F;
    if (length == 126) {
      std::uint8_t ext[2];
      if (!read_exact(ext, 2)) return std::nullopt;
      length = (ext[0] << 8) | ext[1];
    } else if (length == 127) {
      std::uint8_t ext[8];
      if (!read_exact(ext, 8)) return std::nullopt;
      length = 0;
      for (int i = 0; i < 8; ++i) length = (length << 8) | ext[i];
    }
    frame.payload.resize(length);
    if (length > 0 && !read_exact(reinterpret_cast<std::uint8_t*>(frame.payload.data()), length)) {
      return std::nullopt;
    }
    return frame;
  }

  // TLS: true when the server ended the session with close_notify (a clean end, not a
  // truncation) within the receive timeout.
  bool wait_clean_tls_eof() {
    char buf[4096];
    while (true) {
      const int n = SSL_read(ssl_, buf, sizeof buf);
      if (n > 0) continue;
      return SSL_get_error(ssl_, n) == SSL_ERROR_ZERO_RETURN;
    }
  }

  // True when the server closed the TCP connection (EOF) within the receive timeout. What it
  // sent until then is appended to `received` when given.
  bool wait_eof(std::string* received = nullptr) {
    char buf[4096];
    while (true) {
      const ssize_t n = receive(buf, sizeof buf);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
      if (received != nullptr) received->append(buf, static_cast<std::size_t>(n));
    }
  }

  // Whether the server has closed the connection (EOF or reset), without waiting; bytes not
  // read yet hide it.
  bool closed_by_server() {
    char byte;
    const ssize_t n = ::recv(fd_, &byte, 1, MSG_DONTWAIT | MSG_PEEK);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

  // Tells the server we send nothing more (it reads EOF).
  void shut_write() { ::shutdown(fd_, SHUT_WR); }
  // `bytes` and our FIN in one segment (corked until the shutdown): the server sees the data
  // and the end of the stream at once.
  void send_then_shut_write(std::string_view bytes) {
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_CORK, &one, sizeof one);
    send_raw(bytes);
    shut_write();
  }
  // Each send becomes a segment of its own (a client dripping bytes).
  void no_delay() {
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }

 private:
  bool read_exact(std::uint8_t* out, std::size_t size) {
    std::size_t got = 0;
    while (got < size) {
      const ssize_t n = receive(out + got, size - got);
      if (n <= 0) return false;
      got += static_cast<std::size_t>(n);
    }
    return true;
  }

  // An HTTP response head up to its blank line, byte by byte (nothing after it is consumed).
  bool read_head(std::string& head) {
    char c;
    while (head.find("\r\n\r\n") == std::string::npos) {
      if (receive(&c, 1) != 1) return false;
      head.push_back(c);
    }
    return true;
  }

  // recv, or SSL_read once TLS is on (0: the peer closed, < 0: error or timeout; a TLS
  // connection that ends without close_notify counts as closed).
  ssize_t receive(void* out, std::size_t size) {
    if (ssl_ == nullptr) return ::recv(fd_, out, size, 0);
    const int n = SSL_read(ssl_, out, static_cast<int>(size));
    if (n > 0) return n;
    const int error = SSL_get_error(ssl_, n);
    return (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) ? -1 : 0;
  }

  int fd_ = -1;
  bool connected_ = false;
  SSL_CTX* tls_ = nullptr;
  SSL* ssl_ = nullptr;
};

// A free TCP port on loopback (bound, read back, released).
inline std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace switchboard::net::testing
