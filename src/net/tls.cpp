#include "switchboard/net/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <csignal>
#include <stdexcept>

namespace switchboard::net {
namespace {

// The newest error OpenSSL queued (the most specific), and the queue cleared.
std::string openssl_reason() {
  unsigned long code = 0;
  unsigned long last = 0;
  while ((code = ERR_get_error()) != 0) last = code;
  if (last == 0) return "unknown error";
  char text[256];
  ERR_error_string_n(last, text, sizeof text);
  return text;
}

}  // namespace

TlsContext::TlsContext(const std::string& certificate_file, const std::string& key_file) {
  // OpenSSL writes to the socket with write(), which raises SIGPIPE on a connection the peer
  // reset; plain connections use MSG_NOSIGNAL, TLS ones need the signal ignored.
  std::signal(SIGPIPE, SIG_IGN);
  context_ = SSL_CTX_new(TLS_server_method());
  if (context_ == nullptr) throw std::runtime_error("TLS: cannot create a context: " + openssl_reason());
  SSL_CTX_set_min_proto_version(context_, TLS1_2_VERSION);
  // Renegotiation would let a client make the server read in the middle of a write.
  SSL_CTX_set_options(context_, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Partial writes with a buffer that may move between retries: the connection rebuilds the
  // same bytes from its queue for each retry. Released buffers: an idle TLS connection keeps
  // no read or write buffer, as an idle plain one keeps none.
  SSL_CTX_set_mode(context_, SSL_MODE_ENABLE_PARTIAL_WRITE |
                                 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(context_, certificate_file.c_str()) != 1) {
    const std::string reason = openssl_reason();
    SSL_CTX_free(context_);
    throw std::runtime_error("TLS: cannot use certificate file " + certificate_file + ": " + reason);
  }
  if (SSL_CTX_use_PrivateKey_file(context_, key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(context_) != 1) {
    const std::string reason = openssl_reason();
    SSL_CTX_free(context_);
    throw std::runtime_error("TLS: cannot use key file " + key_file + ": " + reason);
  }
}

TlsContext::~TlsContext() { SSL_CTX_free(context_); }

SSL* TlsContext::new_session(int fd) const {
  SSL* ssl = SSL_new(context_);
  if (ssl == nullptr) return nullptr;
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return ssl;
}

}  // namespace switchboard::net
