#include "switchboard/http/accept.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string_view>

namespace switchboard::http {
namespace {

// What GET /metrics offers: Prometheus text first, JSON second.
constexpr std::array<std::string_view, 2> kTextThenJson{"text/plain", "application/json"};
constexpr std::size_t kText = 0;
constexpr std::size_t kJson = 1;

std::size_t pick(std::string_view accept) { return negotiate(accept, kTextThenJson); }

TEST(Accept, NoPreferenceGetsTheServersFirstChoice) {
  EXPECT_EQ(pick(""), kText);
  EXPECT_EQ(pick("  "), kText);
  EXPECT_EQ(pick("*/*"), kText);  // curl, fetch()
  EXPECT_EQ(pick("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"), kText);
}

TEST(Accept, AClientThatAsksForJsonGetsIt) {
  EXPECT_EQ(pick("application/json"), kJson);
  EXPECT_EQ(pick("Application/JSON"), kJson);  // media types are case-insensitive
  EXPECT_EQ(pick("application/json, text/plain, */*"), kJson);  // axios
  EXPECT_EQ(pick("application/json, text/javascript, */*; q=0.01"), kJson);  // jQuery
  EXPECT_EQ(pick("application/*"), kJson);
  EXPECT_EQ(pick("text/plain;q=0.5, application/json"), kJson);
}

TEST(Accept, PrometheusGetsText) {
  EXPECT_EQ(pick("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                 "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
            kText);
  EXPECT_EQ(pick("text/plain, application/json"), kText);  // a tie goes to the one named first
  EXPECT_EQ(pick("text/*, application/json;q=0.9"), kText);
}

TEST(Accept, TheMostSpecificRangeDecidesAType) {
  // application/json is refused outright even though */* would take it.
  EXPECT_EQ(pick("application/json;q=0, */*"), kText);
  EXPECT_EQ(pick("text/plain;q=0, */*;q=0.5"), kJson);
  EXPECT_EQ(pick("text/*;q=0.2, text/plain;q=0.9, application/json;q=0.5"), kText);
}

TEST(Accept, NothingAcceptableIsOfferedSize) {
  EXPECT_EQ(pick("image/png"), kTextThenJson.size());
  EXPECT_EQ(pick("text/plain;q=0, application/json;q=0"), kTextThenJson.size());
  EXPECT_EQ(pick("*/*;q=0"), kTextThenJson.size());
}

TEST(Accept, MalformedElementsAreSkipped) {
  EXPECT_EQ(pick("garbage, application/json"), kJson);
  EXPECT_EQ(pick("application/json;q=2, text/plain"), kText);     // q above 1
  EXPECT_EQ(pick("application/json;q=0.12345, text/plain"), kText);  // more than 3 decimals
  EXPECT_EQ(pick("application/json;q=1.5"), kTextThenJson.size());  // the only element, invalid
  EXPECT_EQ(pick("*/json, application/json"), kJson);                  // */subtype is no range
  EXPECT_EQ(pick(",,application/json;;charset=utf-8,"), kJson);
  EXPECT_EQ(pick("application/json;q=0.001, text/plain;q=0.000"), kJson);
}

}  // namespace
}  // namespace switchboard::http
