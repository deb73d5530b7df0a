#include "switchboard/http/prometheus.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace switchboard::http {
namespace {

TEST(PrometheusWriter, FamilyThenSamples) {
  PrometheusWriter writer;
  writer.family("sb_connections", "gauge", "Open WebSocket connections.");
  writer.sample("sb_connections", std::uint64_t{3}, {{"worker", "0"}});
  writer.sample("sb_connections", std::uint64_t{4}, {{"worker", "1"}, {"tls", "no"}});
  writer.family("sb_uptime_seconds", "gauge", "Seconds since start.");
  writer.sample("sb_uptime_seconds", 12.5);
  EXPECT_EQ(writer.text(),
            "# HELP sb_connections Open WebSocket connections.\n"
            "# TYPE sb_connections gauge\n"
            "sb_connections{worker=\"0\"} 3\n"
            "sb_connections{worker=\"1\",tls=\"no\"} 4\n"
            "# HELP sb_uptime_seconds Seconds since start.\n"
            "# TYPE sb_uptime_seconds gauge\n"
            "sb_uptime_seconds 12.5\n");
}

TEST(PrometheusWriter, LabelValuesAndHelpAreEscaped) {
  PrometheusWriter writer;
  writer.family("m", "counter", "a \\ b\nc \"q\"");
  writer.sample("m", std::uint64_t{1}, {{"reason", "back\\slash \"quoted\"\nnext"}});
  EXPECT_EQ(writer.text(),
            "# HELP m a \\\\ b\\nc \"q\"\n"
            "# TYPE m counter\n"
            "m{reason=\"back\\\\slash \\\"quoted\\\"\\nnext\"} 1\n");
}

TEST(PrometheusWriter, NumbersNeverUseAnExponentWhenWhole) {
  PrometheusWriter writer;
  writer.sample("a", std::numeric_limits<std::uint64_t>::max());
  writer.sample("b", 1e6);
  writer.sample("c", -3.0);
  writer.sample("d", 0.25);
  writer.sample("e", std::nan(""));
  writer.sample("f", std::numeric_limits<double>::infinity());
  writer.sample("g", -std::numeric_limits<double>::infinity());
  writer.sample("h", std::uint64_t{0});
  EXPECT_EQ(writer.text(),
            "a 18446744073709551615\n"
            "b 1000000\n"
            "c -3\n"
            "d 0.25\n"
            "e NaN\n"
            "f +Inf\n"
            "g -Inf\n"
            "h 0\n");
}

}  // namespace
}  // namespace switchboard::http
