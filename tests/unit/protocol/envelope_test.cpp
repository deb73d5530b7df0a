// parse_envelope: the envelope's fields are read correctly, the payload is the exact text of the
// value (forwarded byte for byte), and every malformed message maps to its error.
#include "switchboard/protocol/envelope.hpp"
#include "switchboard/protocol/json_check.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <string_view>

namespace switchboard::protocol {
namespace {

// Parses `text` and expects success; the text is kept alive by the caller.
Envelope parse_ok(std::string_view text) {
  const EnvelopeParse r = parse_envelope(text);
  EXPECT_EQ(r.error, EnvelopeError::none) << text << " → " << r.detail;
  return r.envelope;
}

EnvelopeError parse_error(std::string_view text) {
  const EnvelopeParse r = parse_envelope(text);
  if (r.error != EnvelopeError::none) {
    EXPECT_FALSE(r.detail.empty()) << "an error carries a message: " << text;
  }
  return r.error;
}

// The payload span must lie inside the message: it is forwarded without copying.
bool points_into(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

TEST(Envelope, TypeOnly) {
  const std::string text = R"({"type":"ping"})";
  const Envelope e = parse_ok(text);
  EXPECT_EQ(e.type, "ping");
  EXPECT_TRUE(e.id.empty());
  EXPECT_FALSE(e.requires_ack);
  EXPECT_TRUE(e.payload.empty());
}

TEST(Envelope, StringId) {
  const Envelope e = parse_ok(R"({"type":"publish","id":"m-17"})");
  EXPECT_EQ(e.type, "publish");
  EXPECT_EQ(e.id, "m-17");
}

TEST(Envelope, EscapedStringIdIsDecoded) {
  const Envelope e = parse_ok(R"({"type":"x","id":"a\"b\\c\u0041"})");
  EXPECT_EQ(e.id, "a\"b\\cA");
}

TEST(Envelope, NumericIdIsKeptAsItsText) {
  EXPECT_EQ(parse_ok(R"({"type":"x","id":42})").id, "42");
  EXPECT_EQ(parse_ok(R"({"type":"x","id":-7})").id, "-7");
  EXPECT_EQ(parse_ok(R"({"type":"x","id":1.5e3})").id, "1.5e3");
  EXPECT_EQ(parse_ok(R"({"type":"x","id" : 12345678901234567890 })").id, "12345678901234567890");
}

TEST(Envelope, NullIdIsAbsent) {
  const Envelope e = parse_ok(R"({"type":"x","id":null})");
  EXPECT_TRUE(e.id.empty());
}

TEST(Envelope, RequiresAck) {
  EXPECT_TRUE(parse_ok(R"({"type":"x","requires_ack":true})").requires_ack);
  EXPECT_FALSE(parse_ok(R"({"type":"x","requires_ack":false})").requires_ack);
}

TEST(Envelope, FieldsInAnyOrder) {
  const std::string text = R"({"payload":{"a":1},"requires_ack":true,"id":"i","type":"t"})";
  const Envelope e = parse_ok(text);
  EXPECT_EQ(e.type, "t");
  EXPECT_EQ(e.id, "i");
  EXPECT_TRUE(e.requires_ack);
  EXPECT_EQ(e.payload, R"({"a":1})");
}

TEST(Envelope, UnknownFieldsAreIgnored) {
  const Envelope e =
      parse_ok(R"({"extra":{"payload":"not this"},"type":"t","more":[1,{"}":"]"}],"payload":7})");
  EXPECT_EQ(e.type, "t");
  EXPECT_EQ(e.payload, "7");
}

// Each JSON type as a payload, returned as its exact text.
class PayloadKinds : public ::testing::TestWithParam<std::string> {};

TEST_P(PayloadKinds, PayloadIsTheRawTextOfTheValue) {
  const std::string& payload = GetParam();
  const std::string text = R"({"type":"t","payload":)" + payload + "}";
  const Envelope e = parse_ok(text);
  EXPECT_EQ(e.payload, payload);
  EXPECT_TRUE(points_into(e.payload, text));
}

INSTANTIATE_TEST_SUITE_P(
    Envelope, PayloadKinds,
    ::testing::Values("null", "true", "false", "0", "-12", "3.25e-7", R"("")", R"("text")", "[]",
                      "{}", "[1,2,3]", R"({"a":{"b":[{"c":null}]}})", R"("{not an object}")",
                      R"("quote \" and brace } and ] bracket")", R"("backslash at end \\")",
                      R"("\\\"")", R"({"k}":"v{","k\"":"]"})", R"(["a,b",{"c":"}"},[[["]"]]]])",
                      R"("\u00e9\ud83d\ude00 é 😀")", R"({ "spaced" : [ 1 , 2 ] })"));

TEST(Envelope, WhitespaceEverywhere) {
  const std::string text =
      " \n\t{\r\n \"type\" \t:\n \"t\" ,\n \"id\" : 5 , \"requires_ack\"\t: true ,"
      " \"payload\" \n:\t [ 1 ,\n {\"a\" : \"b\"} ] \n} \r\n\t";
  const Envelope e = parse_ok(text);
  EXPECT_EQ(e.type, "t");
  EXPECT_EQ(e.id, "5");
  EXPECT_TRUE(e.requires_ack);
  EXPECT_EQ(e.payload, "[ 1 ,\n {\"a\" : \"b\"} ]");
}

TEST(Envelope, ScalarPayloadFollowedByWhitespace) {
  EXPECT_EQ(parse_ok("{\"type\":\"t\",\"payload\":123 \n}").payload, "123");
  EXPECT_EQ(parse_ok("{\"payload\":true\t,\"type\":\"t\"}").payload, "true");
}

TEST(Envelope, EscapedTypeIsDecoded) {
  EXPECT_EQ(parse_ok(R"({"type":"chat\u002emessage"})").type, "chat.message");
  EXPECT_EQ(parse_ok(R"({"type":"a\"b"})").type, "a\"b");
}

TEST(Envelope, EscapedKeysAreRecognised) {
  // "\u0074ype" is "type", "p\u0061yload" is "payload": the same keys spelt with escapes.
  const std::string text = R"({"\u0074ype":"t","p\u0061yload":{"x":1},"\u0069d":9})";
  const Envelope e = parse_ok(text);
  EXPECT_EQ(e.type, "t");
  EXPECT_EQ(e.payload, R"({"x":1})");
  EXPECT_EQ(e.id, "9");
}

TEST(Envelope, DuplicateKeysFirstOneCounts) {
  // simdjson's lookups take the first of duplicate keys; the raw spans must agree with them.
  const Envelope e = parse_ok(R"({"type":"t","id":1,"id":"x","payload":[1],"payload":[2]})");
  EXPECT_EQ(e.id, "1");
  EXPECT_EQ(e.payload, "[1]");
  EXPECT_EQ(parse_ok(R"({"type":"t","id":"s","id":2})").id, "s");
}

TEST(Envelope, KeyThatOnlyLooksLikePayloadIsNotIt) {
  // "payload\"" and "payload " differ from "payload".
  const Envelope e = parse_ok(R"({"type":"t","payload\"":1,"payload ":2})");
  EXPECT_TRUE(e.payload.empty());
}

TEST(Envelope, HugePayload) {
  std::string payload = "[";
  for (int i = 0; i < 200000; ++i) {
    if (i > 0) payload += ',';
    payload += R"({"i":)" + std::to_string(i) + R"(,"s":"}]\"{"})";
  }
  payload += "]";
  const std::string text = R"({"type":"bulk","payload":)" + payload + "}";
  ASSERT_GT(text.size(), 4u << 20);
  const Envelope e = parse_ok(text);
  EXPECT_EQ(e.payload.size(), payload.size());
  EXPECT_TRUE(e.payload == payload);
}

TEST(Envelope, FieldsStayValidUntilTheNextParse) {
  const std::string text = R"({"type":"first","id":"one","payload":[1]})";
  const Envelope e = parse_ok(text);
  const std::string type(e.type), id(e.id);
  EXPECT_EQ(type, "first");
  EXPECT_EQ(id, "one");
  const Envelope f = parse_ok(R"({"type":"second"})");
  EXPECT_EQ(f.type, "second");
  EXPECT_TRUE(f.id.empty());
  EXPECT_TRUE(f.payload.empty());
}

TEST(EnvelopeErrors, BadJson) {
  for (const char* text :
       {"", " ", "{", "}", R"({"type":"t")", R"({"type":"t",})", R"({type:"t"})", R"({"type":'t'})",
        R"({"type":"t","payload":[1,2})", R"({"type":"t","payload":"unterminated})",
        R"({"type":"\x"})", R"({"type":"t","payload":01})", R"({"type":"t","payload":nul})",
        "{\"type\":\"a\nb\"}"}) {
    EXPECT_EQ(parse_error(text), EnvelopeError::bad_json) << text;
  }
}

TEST(EnvelopeErrors, TrailingGarbage) {
  for (const char* text : {R"({"type":"t"}x)", R"({"type":"t"}{"type":"u"})", R"({"type":"t"} ,)",
                           R"({"type":"t"}})"}) {
    EXPECT_EQ(parse_error(text), EnvelopeError::bad_json) << text;
  }
}

TEST(EnvelopeErrors, InvalidUtf8) {
  const std::string text = "{\"type\":\"t\",\"payload\":\"\xff\xfe\"}";
  EXPECT_EQ(parse_error(text), EnvelopeError::bad_json);
}

TEST(EnvelopeErrors, NotAnObject) {
  for (const char* text : {"[]", R"(["type","t"])", "null", "1", R"("type")", "true"}) {
    EXPECT_EQ(parse_error(text), EnvelopeError::not_an_object) << text;
  }
}

TEST(EnvelopeErrors, MissingOrBadType) {
  for (const char* text : {"{}", R"({"payload":{"type":"nested"}})", R"({"type":""})",
                           R"({"type":null})", R"({"type":1})", R"({"type":true})",
                           R"({"type":["t"]})", R"({"type":{"t":1}})", R"({"Type":"t"})"}) {
    EXPECT_EQ(parse_error(text), EnvelopeError::missing_type) << text;
  }
}

TEST(EnvelopeErrors, BadId) {
  for (const char* text : {R"({"type":"t","id":true})", R"({"type":"t","id":["a"]})",
                           R"({"type":"t","id":{"a":1}})"}) {
    EXPECT_EQ(parse_error(text), EnvelopeError::bad_field) << text;
  }
}

TEST(EnvelopeErrors, BadRequiresAck) {
  for (const char* text :
       {R"({"type":"t","requires_ack":1})", R"({"type":"t","requires_ack":"true"})",
        R"({"type":"t","requires_ack":null})", R"({"type":"t","requires_ack":[true]})"}) {
    EXPECT_EQ(parse_error(text), EnvelopeError::bad_field) << text;
  }
}

TEST(EnvelopeErrors, AnErrorLeavesNoFields) {
  const EnvelopeParse r = parse_envelope(R"({"type":"t","id":"x","requires_ack":"no"})");
  ASSERT_EQ(r.error, EnvelopeError::bad_field);
  EXPECT_TRUE(r.envelope.payload.empty());
}

// Whatever parses, its payload is either absent or a JSON value on its own (checked against an
// independent parser).
TEST(Envelope, PayloadAlwaysParsesOnItsOwn) {
  for (const char* text :
       {R"({"type":"t","payload":{"a":"}","b":[{"c":"\\"}]}})", R"({"type":"t","payload":-0.0e+1})",
        R"({"type":"t","payload":"\"\\\/\b\f\n\r\t"})", R"({"payload":[[],[{}],""],"type":"t"})"}) {
    const Envelope e = parse_ok(text);
    ASSERT_FALSE(e.payload.empty()) << text;
    boost::json::error_code ec;
    boost::json::parse(e.payload, ec);
    EXPECT_FALSE(ec) << e.payload;
  }
}

}  // namespace
}  // namespace switchboard::protocol

namespace switchboard::protocol {
namespace {

TEST(Envelope, NumbersAnyParserCannotRepresentAreForwardedAsWritten) {
  // A gateway only forwards payloads: 2^64, 1e400, 1.0 and -0 arrive byte for byte.
  const std::string payload = R"({"big":18446744073709551616,"huge":1e400,"one":1.0,"neg":-0})";
  const std::string text = R"({"type":"t","payload":)" + payload + "}";
  const auto parsed = parse_envelope(text);
  ASSERT_EQ(parsed.error, EnvelopeError::none) << parsed.detail;
  EXPECT_EQ(parsed.envelope.payload, payload);
  EXPECT_EQ(parsed.envelope.type, "t");
}

TEST(EnvelopeErrors, NestedDeeperThanTheLimitSaysSo) {
  // The envelope is one level; its payload may nest 63 more.
  const auto payload = [](std::size_t levels) {
    return std::string(levels, '[') + "1" + std::string(levels, ']');
  };
  const auto ok = parse_envelope(R"({"type":"t","payload":)" + payload(kMaxJsonDepth - 1) + "}");
  EXPECT_EQ(ok.error, EnvelopeError::none);
  const auto deep = parse_envelope(R"({"type":"t","payload":)" + payload(kMaxJsonDepth) + "}");
  EXPECT_EQ(deep.error, EnvelopeError::too_deep);
  EXPECT_EQ(deep.detail, "JSON nested deeper than 64 levels");
}

TEST(Envelope, EmptyMessageIsBadJson) {
  EXPECT_EQ(parse_envelope(std::string_view()).error, EnvelopeError::bad_json);
  EXPECT_EQ(parse_envelope("").error, EnvelopeError::bad_json);
}

}  // namespace
}  // namespace switchboard::protocol
