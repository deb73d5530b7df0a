#include "switchboard/ws/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace switchboard::ws {
namespace {

struct Case {
  const char* name;
  std::string bytes;
};

const Case kValid[] = {
    {"empty", ""},
    {"ascii", "Hello, world! 0123456789 long enough for the 8-byte path"},
    {"two byte", "\xC2\x80 \xDF\xBF \xC3\xA9"},
    {"three byte", "\xE0\xA0\x80 \xEF\xBF\xBF \xE2\x82\xAC"},
    {"last before surrogates", "\xED\x9F\xBF"},
    {"first after surrogates", "\xEE\x80\x80"},
    {"four byte", "\xF0\x90\x80\x80 \xF0\x9F\x98\x80"},
    {"max code point", "\xF4\x8F\xBF\xBF"},
    {"nul", std::string("a\0b", 3)},
    {"mixed", "ascii then \xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5 then more ascii text"},
};

const Case kInvalid[] = {
    {"lone continuation", "\x80"},
    {"continuation after ascii run", "abcdefghijkl\xBF"},
    {"overlong 2-byte C0", "\xC0\x80"},
    {"overlong 2-byte C1", "\xC1\xBF"},
    {"overlong 3-byte", "\xE0\x9F\xBF"},
    {"overlong 4-byte", "\xF0\x8F\xBF\xBF"},
    {"surrogate low", "\xED\xA0\x80"},
    {"surrogate high", "\xED\xBF\xBF"},
    {"above 10FFFF via F4", "\xF4\x90\x80\x80"},
    {"F5 lead", "\xF5\x80\x80\x80"},
    {"FF byte", "\xFF"},
    {"missing continuation", "\xC3("},
    {"three byte cut by ascii", "\xE2\x82("},
};

TEST(Utf8, AcceptsValidSequences) {
  for (const Case& c : kValid) EXPECT_TRUE(is_valid_utf8(c.bytes)) << c.name;
}

TEST(Utf8, RejectsInvalidSequences) {
  for (const Case& c : kInvalid) EXPECT_FALSE(is_valid_utf8(c.bytes)) << c.name;
}

TEST(Utf8, TruncatedSequencesAreIncompleteButNotRejected) {
  for (const std::string s : {"\xC3", "\xE2\x82", "\xF0\x9F\x98", "ok\xF4\x8F"}) {
    Utf8Validator v;
    EXPECT_TRUE(v.feed(s)) << s.size();
    EXPECT_FALSE(v.complete());
    EXPECT_FALSE(is_valid_utf8(s));
  }
}

TEST(Utf8, ByteAtATimeAgreesWithWholeBuffer) {
  for (const Case& c : kValid) {
    Utf8Validator v;
    for (char ch : c.bytes) ASSERT_TRUE(v.feed(std::string_view(&ch, 1))) << c.name;
    EXPECT_TRUE(v.complete()) << c.name;
  }
}

// The validator must reject on the first byte that cannot lead to a valid sequence, not at
// the end of the sequence (Autobahn 6.x fail-fast).
TEST(Utf8, FailsOnTheFirstOffendingByte) {
  struct FailFast {
    std::string bytes;
    std::size_t bad_index;
  };
  const FailFast cases[] = {
      {"abc\xF4\x90\x80\x80", 4},  // F4 90: already above U+10FFFF
      {"\xED\xA0\x80", 1},         // ED A0: a surrogate
      {"\xE0\x80\x80", 1},         // E0 80: overlong
      {"\xF0\x80\x80\x80", 1},     // F0 80: overlong
      {"12345678\xC0\x80", 8},     // C0 can never start a sequence
      {"\xCE\xBA\xE1\xBD\xB9\xFF", 5},
  };
  for (const FailFast& c : cases) {
    Utf8Validator v;
    for (std::size_t i = 0; i < c.bytes.size(); ++i) {
      const bool ok = v.feed(std::string_view(&c.bytes[i], 1));
      EXPECT_EQ(ok, i < c.bad_index) << "index " << i;
      if (!ok) break;
    }
  }
}

TEST(Utf8, StaysInvalidUntilReset) {
  Utf8Validator v;
  EXPECT_FALSE(v.feed("\xFF"));
  EXPECT_FALSE(v.feed("plain"));
  EXPECT_FALSE(v.complete());
  v.reset();
  EXPECT_TRUE(v.feed("plain"));
  EXPECT_TRUE(v.complete());
}

TEST(Utf8, SequenceSplitAcrossFeedsAtEveryPoint) {
  const std::string s = "x\xF0\x9F\x98\x80y\xE2\x82\xACz";
  for (std::size_t cut = 0; cut <= s.size(); ++cut) {
    Utf8Validator v;
    ASSERT_TRUE(v.feed(std::string_view(s).substr(0, cut)));
    ASSERT_TRUE(v.feed(std::string_view(s).substr(cut)));
    EXPECT_TRUE(v.complete()) << cut;
  }
}

// Every code point U+0000..U+10FFFF, encoded by the textbook rules, is accepted except the
// surrogates.
TEST(Utf8, ExhaustiveCodePoints) {
  for (std::uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    std::string s;
    if (cp < 0x80) {
      s.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      s.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      s.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    ASSERT_EQ(is_valid_utf8(s), !surrogate) << std::hex << cp;
  }
}

}  // namespace
}  // namespace switchboard::ws
