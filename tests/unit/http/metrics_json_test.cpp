#include "switchboard/http/metrics_json.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "switchboard/http/prometheus.hpp"

namespace switchboard::http {
namespace {

TEST(MetricsJson, TheWritersTextReadsBackAsFamiliesOfSamples) {
  PrometheusWriter w;
  w.family("switchboard_connections", "gauge", "Open connections.");
  w.sample("switchboard_connections", std::uint64_t{3});
  w.family("switchboard_in_total", "counter", "In.");
  w.sample("switchboard_in_total", std::uint64_t{10}, {{"worker", "0"}});
  w.sample("switchboard_in_total", std::uint64_t{7}, {{"worker", "1"}, {"kind", "a \"b\"\\\nc"}});
  w.family("ratio", "gauge", "A ratio.");
  w.sample("ratio", 0.25);
  w.sample("ratio", -1.5, {{"k", "v"}});
  const auto doc = boost::json::parse(metrics_json(w.text())).as_object();
  const auto& m = doc.at("metrics").as_object();
  EXPECT_EQ(boost::json::serialize(m.at("switchboard_connections")), R"([{"value":3}])");
  const auto& in = m.at("switchboard_in_total").as_array();
  ASSERT_EQ(in.size(), 2u);
  EXPECT_EQ(in[0].at("labels").at("worker"), "0");
  EXPECT_EQ(in[0].at("value").to_number<std::uint64_t>(), 10u);
  EXPECT_EQ(in[1].at("labels").at("kind"), "a \"b\"\\\nc");
  EXPECT_EQ(m.at("ratio").as_array()[0].at("value").as_double(), 0.25);
  EXPECT_EQ(m.at("ratio").as_array()[1].at("value").as_double(), -1.5);
}

TEST(MetricsJson, NonFiniteValuesAreNull) {
  const auto doc = boost::json::parse(metrics_json("a NaN\nb +Inf\nc -Inf\n")).as_object();
  for (const char* name : {"a", "b", "c"}) {
    EXPECT_TRUE(doc.at("metrics").at(name).as_array()[0].at("value").is_null()) << name;
  }
}

TEST(MetricsJson, CommentsAndMalformedLinesAreSkipped) {
  const std::string text =
      "# HELP x help\n# TYPE x counter\nx 1\n"
      "bad{unterminated=\"v 2\n"
      "nolabelvalue{a=\"1\"}\n"
      "9starts_with_digit 3\n"
      "word notanumber\n"
      "y{a=\"1\",} 4 1700000000000\n"
      "\n";
  EXPECT_EQ(metrics_json(text),
            R"({"metrics":{"x":[{"value":1}],"y":[{"labels":{"a":"1"},"value":4}]}})");
}

TEST(MetricsJson, EmptyTextIsAnEmptyObject) {
  EXPECT_EQ(metrics_json(""), R"({"metrics":{}})");
}

}  // namespace
}  // namespace switchboard::http
