// The grammar of sizes, durations, booleans and lists, and the canonical text of values.
#include "value_text.hpp"

#include <gtest/gtest.h>

namespace switchboard::config {
namespace {

TEST(ParseSize, PlainNumbersAreBytes) {
  EXPECT_EQ(parse_size("0"), 0U);
  EXPECT_EQ(parse_size("4096"), 4096U);
  EXPECT_EQ(parse_size("125B"), 125U);
  EXPECT_EQ(parse_size(" 77 "), 77U);
}

TEST(ParseSize, BinaryUnitsInAnySpelling) {
  EXPECT_EQ(parse_size("8KiB"), 8U * 1024);
  EXPECT_EQ(parse_size("8kib"), 8U * 1024);
  EXPECT_EQ(parse_size("8K"), 8U * 1024);
  EXPECT_EQ(parse_size("8KB"), 8U * 1024);  // what seed 001 meant by "8 KB"
  EXPECT_EQ(parse_size("8 KiB"), 8U * 1024);
  EXPECT_EQ(parse_size("1MiB"), 1024U * 1024);
  EXPECT_EQ(parse_size("3m"), 3U * 1024 * 1024);
  EXPECT_EQ(parse_size("2GiB"), 2ULL * 1024 * 1024 * 1024);
}

TEST(ParseSize, Rejects) {
  for (const char* bad : {"", "KiB", "-1", "1.5MiB", "8XB", "8 K B", "0x10", "1e3", "1TiB",
                          "18446744073709551616", "17179869184GiB"}) {
    EXPECT_FALSE(parse_size(bad)) << bad;
  }
}

TEST(ParseDuration, UnitsAndPlainMilliseconds) {
  EXPECT_EQ(parse_duration_ms("500"), 500U);
  EXPECT_EQ(parse_duration_ms("500ms"), 500U);
  EXPECT_EQ(parse_duration_ms("5s"), 5000U);
  EXPECT_EQ(parse_duration_ms("2m"), 120000U);
  EXPECT_EQ(parse_duration_ms("2min"), 120000U);
  EXPECT_EQ(parse_duration_ms("1h"), 3600000U);
  EXPECT_EQ(parse_duration_ms("0"), 0U);
}

TEST(ParseDuration, Rejects) {
  for (const char* bad : {"", "s", "-5s", "1.5s", "5x", "5 seconds", "1d", "PT5S"}) {
    EXPECT_FALSE(parse_duration_ms(bad)) << bad;
  }
}

TEST(ParseBool, AcceptedSpellings) {
  for (const char* yes : {"true", "TRUE", "1", "yes", "on"})
    EXPECT_EQ(parse_bool(yes), true) << yes;
  for (const char* no : {"false", "False", "0", "no", "off"})
    EXPECT_EQ(parse_bool(no), false) << no;
  for (const char* bad : {"", "2", "maybe", "t"}) EXPECT_FALSE(parse_bool(bad)) << bad;
}

TEST(SplitList, TrimsAndDropsEmptyItems) {
  EXPECT_EQ(split_list("a, b,,c ,"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(split_list("").empty());
  EXPECT_TRUE(split_list(" , ").empty());
}

// format_value's text must parse back to the same value, or --help would show defaults a user
// could not type.
TEST(FormatValue, SizesAndDurationsRoundTrip) {
  OptionSpec size;
  size.type = OptionType::size;
  OptionSpec duration;
  duration.type = OptionType::duration;
  for (std::uint64_t n : {0ULL, 1ULL, 125ULL, 1000ULL, 1024ULL, 1536ULL, 8192ULL, 1048576ULL,
                          3221225472ULL, 1048577ULL}) {
    const std::string size_text = format_value(size, Value{n});
    EXPECT_EQ(parse_size(size_text), n) << size_text;
    const std::string duration_text = format_value(duration, Value{n});
    EXPECT_EQ(parse_duration_ms(duration_text), n) << duration_text;
  }
  EXPECT_EQ(format_value(size, Value{std::uint64_t{8192}}), "8KiB");
  EXPECT_EQ(format_value(size, Value{std::uint64_t{1536}}), "1536B");
  EXPECT_EQ(format_value(duration, Value{std::uint64_t{60000}}), "1m");
  EXPECT_EQ(format_value(duration, Value{std::uint64_t{1500}}), "1500ms");
}

TEST(ParseText, AppliesBounds) {
  OptionSpec port;
  port.type = OptionType::uint;
  port.min = 1;
  port.max = 65535;
  EXPECT_EQ(parse_text(port, "1"), Value{std::uint64_t{1}});
  EXPECT_EQ(parse_text(port, "65535"), Value{std::uint64_t{65535}});
  EXPECT_FALSE(parse_text(port, "0"));
  EXPECT_FALSE(parse_text(port, "65536"));
  EXPECT_EQ(expectation(port), "expected an integer in 1..65535");
}

}  // namespace
}  // namespace switchboard::config
