// A Handover owns what it carries until a worker takes it.
#include "switchboard/net/handover.hpp"

#include <openssl/ssl.h>
#include <unistd.h>

#include <utility>

namespace switchboard::net {

Handover::Handover(Handover&& other) noexcept
    : worker(other.worker),
      fd(std::exchange(other.fd, -1)),
      ssl(std::exchange(other.ssl, nullptr)),
      request(std::move(other.request)),
      leftover(std::move(other.leftover)),
      context(std::move(other.context)) {}

Handover& Handover::operator=(Handover&& other) noexcept {
  if (this != &other) {
    Handover dropped(std::move(*this));  // what this held is released as it goes
    worker = other.worker;
    fd = std::exchange(other.fd, -1);
    ssl = std::exchange(other.ssl, nullptr);
    request = std::move(other.request);
    leftover = std::move(other.leftover);
    context = std::move(other.context);
  }
  return *this;
}

Handover::~Handover() {
  if (ssl != nullptr) SSL_free(ssl);
  if (fd >= 0) ::close(fd);
}

}  // namespace switchboard::net
