// permessage-deflate (RFC 7692): offer parsing, agreement, and the raw-deflate zlib streams.
#include "switchboard/ws/deflate.hpp"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <stdexcept>

namespace switchboard::ws {
namespace {

constexpr std::string_view kExtensionName = "permessage-deflate";
// RFC 7692 §7.2.1: a sender removes, and a receiver re-adds, this empty stored block.
constexpr unsigned char kTail[4] = {0x00, 0x00, 0xFF, 0xFF};
// zlib refuses a raw deflate window of 2^8 (and old zlib silently used 2^9 while claiming 2^8),
// so 9 is the smallest window we use for either direction.
constexpr int kMinZlibWindow = 9;
constexpr int kMaxWindow = 15;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]);
    unsigned char y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

// RFC 7230 tchar.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

// "8".."15" exactly: RFC 7692 §7.1.2 forbids leading zeros. Returns 0 when invalid.
int parse_window_bits(std::string_view v) {
  if (v.size() == 1 && (v[0] == '8' || v[0] == '9')) return v[0] - '0';
  if (v.size() == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5') return 10 + (v[1] - '0');
  return 0;
}

// What one permessage-deflate offer asked for. Window fields: -1 absent, 0 present without a
// value, else the value.
struct Offer {
  bool is_deflate = false;
  bool acceptable = true;  // false: unknown, duplicate or malformed parameter (decline it)
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  int server_max_window_bits = -1;
  int client_max_window_bits = -1;

  void apply(std::string_view name, std::string_view value, bool has_value) {
    if (iequals(name, "server_no_context_takeover")) {
      set_flag(server_no_context_takeover, has_value);
    } else if (iequals(name, "client_no_context_takeover")) {
      set_flag(client_no_context_takeover, has_value);
    } else if (iequals(name, "server_max_window_bits")) {
      // An offer must give the server's window a value (§7.1.2.1).
      set_window(server_max_window_bits, value, has_value, /*value_required=*/true);
    } else if (iequals(name, "client_max_window_bits")) {
      set_window(client_max_window_bits, value, has_value, /*value_required=*/false);
    } else {
      acceptable = false;
    }
  }

 private:
  void set_flag(bool& flag, bool has_value) {
    if (flag || has_value) acceptable = false;
    flag = true;
  }
  void set_window(int& field, std::string_view value, bool has_value, bool value_required) {
    if (field != -1) acceptable = false;
    if (!has_value) {
      if (value_required) acceptable = false;
      field = 0;
      return;
    }
    field = parse_window_bits(value);
    if (field == 0) acceptable = false;
  }
};

// A cursor over a Sec-WebSocket-Extensions value:
//   1#( token *( OWS ";" OWS token [ OWS "=" OWS ( token / quoted-string ) ] ) )
class ExtensionLexer {
 public:
  explicit ExtensionLexer(std::string_view s) : s_(s) {}
  bool done() const { return i_ >= s_.size(); }

  // Parses one list element into `offer`; false when it is malformed. Leaves the cursor
  // anywhere inside the element: call skip_element() next.
  bool parse_element(Offer& offer) {
    skip_ows();
    const std::string_view name = token();
    if (name.empty()) return at_separator();  // empty list elements are allowed
    offer.is_deflate = iequals(name, kExtensionName);
    for (;;) {
      skip_ows();
      if (at_separator()) return true;
      if (s_[i_] != ';') return false;
      ++i_;
      skip_ows();
      const std::string_view param = token();
      if (param.empty()) return false;
      skip_ows();
      std::string value;
      bool has_value = false;
      if (i_ < s_.size() && s_[i_] == '=') {
        ++i_;
        skip_ows();
        if (!read_value(value)) return false;
        has_value = true;
      }
      if (offer.is_deflate) offer.apply(param, value, has_value);
    }
  }

  // Moves past the next top-level comma (commas inside quoted strings do not count).
  void skip_element() {
    bool quoted = false;
    for (; i_ < s_.size(); ++i_) {
      const char c = s_[i_];
      if (quoted && c == '\\') {
        ++i_;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (!quoted && c == ',') {
        ++i_;
        return;
      }
    }
  }

 private:
  bool at_separator() const { return i_ >= s_.size() || s_[i_] == ','; }
  void skip_ows() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  std::string_view token() {
    const std::size_t start = i_;
    while (i_ < s_.size() && is_tchar(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  bool read_value(std::string& out) {
    if (i_ >= s_.size()) return false;
    if (s_[i_] != '"') {
      out = std::string(token());
      return !out.empty();
    }
    ++i_;
    while (i_ < s_.size()) {
      const char c = s_[i_++];
      if (c == '"') return true;
      if (c == '\\') {
        if (i_ >= s_.size()) return false;
        out.push_back(s_[i_++]);
      } else {
        out.push_back(c);
      }
    }
    return false;  // unterminated quote
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

std::optional<DeflateAgreement> agree(const Offer& offer, const DeflateConfig& config) {
  const int server_window = std::clamp(config.server_max_window_bits, kMinZlibWindow, kMaxWindow);
  // One compressed broadcast is shared by every deflate connection, so it is compressed with
  // one window. A client that cannot take that window gets this offer declined (it may have
  // a fallback offer, RFC 7692 §7.1.3) rather than frames it cannot inflate.
  if (offer.server_max_window_bits > 0 && offer.server_max_window_bits < server_window) {
    return std::nullopt;
  }
  DeflateAgreement a;
  // §7.1.1.1: the server may always add server_no_context_takeover, and must echo it when
  // offered. (Our Deflater resets per message anyway, so it is true in practice either way.)
  a.server_no_context_takeover =
      config.server_no_context_takeover || offer.server_no_context_takeover;
  // §7.1.1.2: "A server MAY include the client_no_context_takeover extension parameter in an
  // extension negotiation response", whether or not the offer had it. An offer that has it
  // is the client's promise anyway, so echoing it costs nothing and frees our inflate state.
  a.client_no_context_takeover =
      config.request_client_no_context_takeover || offer.client_no_context_takeover;
  a.server_max_window_bits = server_window;
  // §7.1.2.1: echo it when offered; may also be sent unasked, which we do to announce a
  // window smaller than the default.
  a.announce_server_max_window_bits =
      offer.server_max_window_bits > 0 || server_window < kMaxWindow;
  // §7.1.2.2: only when the offer had client_max_window_bits. A value in the offer is only a
  // hint unless echoed, so we echo it and size our inflate window to it.
  if (offer.client_max_window_bits > 0) {
    a.client_max_window_bits = offer.client_max_window_bits;
    a.announce_client_max_window_bits = true;
  }
  return a;
}

}  // namespace

std::string DeflateAgreement::response_header() const {
  std::string h(kExtensionName);
  if (server_no_context_takeover) h += "; server_no_context_takeover";
  if (client_no_context_takeover) h += "; client_no_context_takeover";
  if (announce_server_max_window_bits) {
    h += "; server_max_window_bits=" + std::to_string(server_max_window_bits);
  }
  if (announce_client_max_window_bits) {
    h += "; client_max_window_bits=" + std::to_string(client_max_window_bits);
  }
  return h;
}

std::optional<DeflateAgreement> negotiate_deflate(std::string_view extensions_header,
                                                  const DeflateConfig& config) {
  if (!config.enabled) return std::nullopt;
  ExtensionLexer lexer(extensions_header);
  while (!lexer.done()) {
    Offer offer;
    const bool well_formed = lexer.parse_element(offer);
    if (well_formed && offer.is_deflate && offer.acceptable) {
      if (auto agreement = agree(offer, config)) return agreement;
    }
    lexer.skip_element();
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Inflater

struct Inflater::Impl {
  z_stream zs{};
};

namespace {

// Runs `in` through the stream, appending to `out` but never past max_size + 1 bytes (so a
// zip bomb stops after max_size + 1 bytes of output, and the caller sees out.size() > max).
bool run_inflate(z_stream& zs, const unsigned char* in, std::size_t size, std::string& out,
                 std::size_t max_size) {
  unsigned char buf[16 * 1024];
  while (true) {
    // zlib counts in uInt; feed very large pieces in slices.
    if (zs.avail_in == 0 && size > 0) {
      const std::size_t slice = std::min<std::size_t>(size, UINT_MAX);
      zs.next_in = const_cast<unsigned char*>(in);
      zs.avail_in = static_cast<uInt>(slice);
      in += slice;
      size -= slice;
    }
    const std::size_t room = max_size + 1 - out.size();
    const std::size_t cap = std::min(sizeof buf, room);
    zs.next_out = buf;
    zs.avail_out = static_cast<uInt>(cap);
    const int rc = ::inflate(&zs, Z_SYNC_FLUSH);
    out.append(reinterpret_cast<const char*>(buf), cap - zs.avail_out);
    if (out.size() > max_size) return false;
    if (rc == Z_STREAM_END) {
      // The peer ended the deflate stream (BFINAL). Only the re-added tail can follow; start
      // a fresh stream for the next message.
      zs.avail_in = 0;
      return inflateReset(&zs) == Z_OK;
    }
    if (rc == Z_BUF_ERROR) {
      // No progress: all input consumed (output space was offered).
      if (zs.avail_in == 0 && size == 0) return true;
      return false;
    }
    if (rc != Z_OK) return false;  // Z_DATA_ERROR, Z_NEED_DICT, Z_MEM_ERROR, ...
    if (zs.avail_in == 0 && size == 0 && zs.avail_out != 0) return true;
  }
}

}  // namespace

Inflater::Inflater(const DeflateAgreement& agreement) : impl_(nullptr), agreement_(agreement) {}

Inflater::~Inflater() {
  if (impl_ != nullptr) {
    inflateEnd(&impl_->zs);
    delete impl_;
  }
}

bool Inflater::inflate(std::string_view in, bool final_piece, std::string& out,
                       std::size_t max_size) {
  if (out.size() > max_size) return false;
  if (impl_ == nullptr) {
    // Allocated lazily, on the first compressed message: most connections that negotiate
    // deflate never send a compressed message, and idle ones should hold nothing.
    impl_ = new Impl;
    const int window = std::clamp(agreement_.client_max_window_bits, kMinZlibWindow, kMaxWindow);
    if (inflateInit2(&impl_->zs, -window) != Z_OK) {
      delete impl_;
      impl_ = nullptr;
      return false;
    }
  }
  bool ok = run_inflate(impl_->zs, reinterpret_cast<const unsigned char*>(in.data()), in.size(),
                        out, max_size);
  if (ok && final_piece) ok = run_inflate(impl_->zs, kTail, sizeof kTail, out, max_size);
  // A failed stream is unusable (the connection is being failed); with no context takeover
  // the window is not needed for the next message. Either way, give the memory back.
  if (!ok || (final_piece && agreement_.client_no_context_takeover)) {
    inflateEnd(&impl_->zs);
    delete impl_;
    impl_ = nullptr;
  }
  return ok;
}

// ---------------------------------------------------------------------------------------------
// Deflater

struct Deflater::Impl {
  z_stream zs{};
};

Deflater::Deflater(int window_bits) : impl_(new Impl) {
  const int window = std::clamp(window_bits, kMinZlibWindow, kMaxWindow);
  if (deflateInit2(&impl_->zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -window, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    delete impl_;
    throw std::runtime_error("deflateInit2 failed");
  }
}

Deflater::~Deflater() {
  deflateEnd(&impl_->zs);
  delete impl_;
}

std::string Deflater::compress(std::string_view message) {
  if (message.size() > UINT_MAX / 2) throw std::length_error("message too large to compress");
  z_stream& zs = impl_->zs;
  // Every message starts from an empty window: the same bytes are then valid for any client.
  deflateReset(&zs);
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(message.size())) + 16);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(message.data()));
  zs.avail_in = static_cast<uInt>(message.size());
  std::size_t produced = 0;
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out.size() - produced);
    const int rc = ::deflate(&zs, Z_SYNC_FLUSH);
    produced = out.size() - zs.avail_out;
    if (rc != Z_OK && rc != Z_BUF_ERROR) throw std::runtime_error("deflate failed");
    if (zs.avail_out != 0) break;  // the flush completed
    out.resize(out.size() * 2);
  }
  out.resize(produced);
  if (out.size() >= sizeof kTail &&
      std::memcmp(out.data() + out.size() - sizeof kTail, kTail, sizeof kTail) == 0) {
    out.resize(out.size() - sizeof kTail);
  }
  return out;
}

}  // namespace switchboard::ws
