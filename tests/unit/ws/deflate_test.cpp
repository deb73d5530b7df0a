#include "switchboard/ws/deflate.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>

namespace switchboard::ws {
namespace {

DeflateConfig enabled() {
  DeflateConfig c;
  c.enabled = true;
  return c;
}

std::string negotiated(std::string_view header, const DeflateConfig& config = enabled()) {
  auto a = negotiate_deflate(header, config);
  return a ? a->response_header() : std::string("<declined>");
}

TEST(DeflateNegotiation, DisabledOrNotOffered) {
  EXPECT_FALSE(negotiate_deflate("permessage-deflate", DeflateConfig{}));
  EXPECT_FALSE(negotiate_deflate("", enabled()));
  EXPECT_FALSE(negotiate_deflate("x-webkit-deflate-frame", enabled()));
}

TEST(DeflateNegotiation, PlainOfferGetsNoContextTakeoverBothWays) {
  auto a = negotiate_deflate("permessage-deflate", enabled());
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->server_no_context_takeover);
  // RFC 7692 §7.1.1.2 lets the server add client_no_context_takeover unasked.
  EXPECT_TRUE(a->client_no_context_takeover);
  EXPECT_EQ(a->server_max_window_bits, 15);
  EXPECT_EQ(a->client_max_window_bits, 15);
  EXPECT_EQ(a->response_header(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
}

TEST(DeflateNegotiation, ClientContextTakeoverKeptWhenNotRequested) {
  DeflateConfig c = enabled();
  c.request_client_no_context_takeover = false;
  EXPECT_EQ(negotiated("permessage-deflate", c), "permessage-deflate; server_no_context_takeover");
  // An offer with it is the client's own promise: echo it (it lets us free inflate state).
  EXPECT_EQ(negotiated("permessage-deflate; client_no_context_takeover", c),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
}

TEST(DeflateNegotiation, ServerContextTakeoverEchoedWhenOffered) {
  DeflateConfig c = enabled();
  c.server_no_context_takeover = false;
  c.request_client_no_context_takeover = false;
  EXPECT_EQ(negotiated("permessage-deflate", c), "permessage-deflate");
  EXPECT_EQ(negotiated("permessage-deflate; server_no_context_takeover", c),
            "permessage-deflate; server_no_context_takeover");
}

TEST(DeflateNegotiation, ClientMaxWindowBits) {
  // Without a value: supported, nothing to announce.
  auto a = negotiate_deflate("permessage-deflate; client_max_window_bits", enabled());
  ASSERT_TRUE(a);
  EXPECT_EQ(a->client_max_window_bits, 15);
  EXPECT_EQ(a->response_header().find("client_max_window_bits"), std::string::npos);
  // With a value (plain or quoted): echoed, and the inflater sizes its window to it.
  for (const char* h : {"permessage-deflate; client_max_window_bits=10",
                        "permessage-deflate; client_max_window_bits=\"10\"",
                        "Permessage-Deflate; Client_Max_Window_Bits = 10"}) {
    auto b = negotiate_deflate(h, enabled());
    ASSERT_TRUE(b) << h;
    EXPECT_EQ(b->client_max_window_bits, 10);
    EXPECT_NE(b->response_header().find("client_max_window_bits=10"), std::string::npos);
  }
  // Never announced when the client did not offer it (RFC 7692 §7.1.2.2).
  EXPECT_EQ(negotiated("permessage-deflate").find("client_max_window_bits"), std::string::npos);
}

TEST(DeflateNegotiation, ServerMaxWindowBits) {
  EXPECT_EQ(negotiated("permessage-deflate; server_max_window_bits=15"),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "server_max_window_bits=15");
  // A smaller window than the one our shared compressed frames use: declined, and the next
  // offer (the RFC 7692 §7.1.3 fallback) is taken.
  EXPECT_EQ(negotiated("permessage-deflate; server_max_window_bits=10"), "<declined>");
  auto a = negotiate_deflate(
      "permessage-deflate; server_max_window_bits=10; client_max_window_bits, "
      "permessage-deflate; client_max_window_bits=12",
      enabled());
  ASSERT_TRUE(a);
  EXPECT_EQ(a->client_max_window_bits, 12);
  // A server configured with a smaller window announces it and accepts larger requests.
  DeflateConfig small = enabled();
  small.server_max_window_bits = 10;
  auto b = negotiate_deflate("permessage-deflate; server_max_window_bits=12", small);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->server_max_window_bits, 10);
  EXPECT_NE(b->response_header().find("server_max_window_bits=10"), std::string::npos);
  auto c = negotiate_deflate("permessage-deflate", small);
  ASSERT_TRUE(c);
  EXPECT_NE(c->response_header().find("server_max_window_bits=10"), std::string::npos);
}

TEST(DeflateNegotiation, BadOffersAreDeclinedAndTheNextOneTried) {
  const char* bad[] = {
      "permessage-deflate; unknown_param",
      "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
      "permessage-deflate; client_max_window_bits=10; client_max_window_bits=11",
      "permessage-deflate; server_no_context_takeover=1",
      "permessage-deflate; server_max_window_bits",
      "permessage-deflate; server_max_window_bits=16",
      "permessage-deflate; client_max_window_bits=7",
      "permessage-deflate; client_max_window_bits=08",
      "permessage-deflate; client_max_window_bits=abc",
      "permessage-deflate; client_max_window_bits=\"10",
      "permessage-deflate;;",
      "permessage-deflate; =5",
  };
  for (const char* offer : bad) {
    EXPECT_EQ(negotiated(offer), "<declined>") << offer;
    // The same bad offer followed by a good one: the good one wins.
    const std::string both = std::string(offer) + ", permessage-deflate; client_max_window_bits=9";
    auto a = negotiate_deflate(both, enabled());
    if (std::string_view(offer).find("\"10") != std::string_view::npos) {
      // An unterminated quote swallows the rest of the header.
      EXPECT_FALSE(a) << offer;
      continue;
    }
    ASSERT_TRUE(a) << offer;
    EXPECT_EQ(a->client_max_window_bits, 9) << offer;
  }
}

TEST(DeflateNegotiation, QuotedCommaDoesNotSplitAnOffer) {
  auto a = negotiate_deflate(
      "foo; bar=\"a, permessage-deflate\", permessage-deflate; client_max_window_bits=11",
      enabled());
  ASSERT_TRUE(a);
  EXPECT_EQ(a->client_max_window_bits, 11);
}

TEST(DeflateNegotiation, OtherExtensionsAreSkipped) {
  auto a = negotiate_deflate(
      "x-webkit-deflate-frame; no_context_takeover, permessage-deflate; client_max_window_bits=13",
      enabled());
  ASSERT_TRUE(a);
  EXPECT_EQ(a->client_max_window_bits, 13);
}

// --- zlib streams ----------------------------------------------------------------------------

std::string sample_text(std::size_t n) {
  std::mt19937 rng(42);
  const char* words[] = {"alpha ", "beta ", "gamma ", "{\"id\":", "42}, ", "\xC3\xA9t\xC3\xA9 "};
  std::string s;
  while (s.size() < n) s += words[rng() % 6];
  return s;
}

TEST(Deflate, RoundTripThroughInflater) {
  Deflater deflater;
  DeflateAgreement agreement;
  agreement.client_no_context_takeover = true;
  Inflater inflater(agreement);
  for (std::size_t n : {0u, 1u, 100u, 5000u, 200000u}) {
    const std::string message = sample_text(n).substr(0, n);
    const std::string z = deflater.compress(message);
    ASSERT_FALSE(z.size() >= 4 && z.substr(z.size() - 4) == std::string("\0\0\xFF\xFF", 4));
    std::string out;
    ASSERT_TRUE(inflater.inflate(z, true, out, 1 << 20)) << n;
    EXPECT_EQ(out, message);
  }
}

TEST(Deflate, InflateInPiecesAndAcrossMessages) {
  Deflater deflater;
  Inflater inflater(DeflateAgreement{});
  for (int m = 0; m < 3; ++m) {
    const std::string message = sample_text(3000 + m);
    const std::string z = deflater.compress(message);
    std::string out;
    for (std::size_t i = 0; i < z.size(); i += 7) {
      const bool last = i + 7 >= z.size();
      ASSERT_TRUE(inflater.inflate(std::string_view(z).substr(i, 7), last, out, 1 << 20));
    }
    EXPECT_EQ(out, message);
  }
}

// With context takeover the client's second message may refer back to its first one; the
// inflater must keep its window between messages unless client_no_context_takeover.
TEST(Deflate, InflaterKeepsContextWithoutNoContextTakeover) {
  z_stream zs{};
  ASSERT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
  auto compress = [&](const std::string& in) {
    std::string out(in.size() + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&zs, Z_SYNC_FLUSH), Z_OK);
    out.resize(out.size() - zs.avail_out - 4);  // strip 00 00 ff ff
    return out;
  };
  const std::string message = sample_text(2000);
  const std::string first = compress(message);
  const std::string second = compress(message);  // mostly a back-reference into the first
  deflateEnd(&zs);
  ASSERT_LT(second.size(), first.size() / 4);

  Inflater keeps(DeflateAgreement{});
  std::string out;
  ASSERT_TRUE(keeps.inflate(first, true, out, 1 << 20));
  out.clear();
  ASSERT_TRUE(keeps.inflate(second, true, out, 1 << 20));
  EXPECT_EQ(out, message);

  DeflateAgreement no_takeover;
  no_takeover.client_no_context_takeover = true;
  Inflater resets(no_takeover);
  out.clear();
  ASSERT_TRUE(resets.inflate(first, true, out, 1 << 20));
  out.clear();
  EXPECT_FALSE(resets.inflate(second, true, out, 1 << 20));  // its window was released
}

TEST(Deflate, InflateStopsAtTheSizeLimit) {
  Deflater deflater;
  const std::string bomb = deflater.compress(std::string(10 << 20, '\0'));  // 10 MiB of zeros
  ASSERT_LT(bomb.size(), 20000u);
  Inflater inflater(DeflateAgreement{});
  std::string out;
  EXPECT_FALSE(inflater.inflate(bomb, true, out, 4096));
  EXPECT_EQ(out.size(), 4097u);  // stopped right past the limit, not after 10 MiB
}

TEST(Deflate, CorruptStreamFails) {
  Inflater inflater(DeflateAgreement{});
  std::string out;
  EXPECT_FALSE(inflater.inflate("\xFF\xFF\xFF\xFF\xFF", true, out, 1 << 20));
  EXPECT_LE(out.size(), 1u << 20);
}

TEST(Deflate, SmallWindowRoundTrip) {
  Deflater deflater(9);
  DeflateAgreement a;
  a.client_max_window_bits = 9;
  Inflater inflater(a);
  const std::string message = sample_text(10000);
  std::string out;
  ASSERT_TRUE(inflater.inflate(deflater.compress(message), true, out, 1 << 20));
  EXPECT_EQ(out, message);
}

}  // namespace
}  // namespace switchboard::ws
