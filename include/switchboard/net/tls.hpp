#pragma once
// TLS termination (wss:// and https:// on the listening port): one server context, loaded
// from PEM files at start-up and shared by every worker, and one OpenSSL session per
// connection over its non-blocking descriptor. Connection drives the sessions; this holds
// the configuration they share.
#include <string>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace switchboard::net {

// Thread safety: immutable after construction; new_session() may be called from any worker.
class TlsContext {
 public:
  // Loads the certificate chain and its private key (TLS 1.2 and later). Throws
  // std::runtime_error naming the file and OpenSSL's reason when either cannot be used or
  // they do not match.
  TlsContext(const std::string& certificate_file, const std::string& key_file);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A server-side session on `fd`, waiting for the client's handshake; nullptr if OpenSSL
  // cannot allocate one. The caller frees it with SSL_free.
  SSL* new_session(int fd) const;

 private:
  SSL_CTX* context_ = nullptr;
};

}  // namespace switchboard::net
