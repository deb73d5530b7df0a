// docs/config.md embeds the option table generated from the code; this test fails when they
// drift. Regenerate with: SWITCHBOARD_UPDATE_DOCS=1 config_unit_tests --gtest_filter='Docs*'
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "switchboard/config/option_info.hpp"

namespace switchboard::config {
namespace {

constexpr std::string_view kBegin = "<!-- options:begin -->\n";
constexpr std::string_view kEnd = "<!-- options:end -->";

std::string read_docs() {
  std::ifstream in(SWITCHBOARD_DOCS_CONFIG);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Docs, ConfigMarkdownEmbedsTheGeneratedTable) {
  std::string docs = read_docs();
  const auto begin = docs.find(kBegin);
  const auto end = docs.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << SWITCHBOARD_DOCS_CONFIG << " lacks " << kBegin;
  ASSERT_NE(end, std::string::npos) << SWITCHBOARD_DOCS_CONFIG << " lacks " << kEnd;
  const auto table_at = begin + kBegin.size();
  ASSERT_LE(table_at, end);
  const std::string expected = options_markdown();
  if (std::getenv("SWITCHBOARD_UPDATE_DOCS") != nullptr) {
    docs.replace(table_at, end - table_at, expected);
    std::ofstream(SWITCHBOARD_DOCS_CONFIG) << docs;
    GTEST_SKIP() << "rewrote " << SWITCHBOARD_DOCS_CONFIG;
  }
  EXPECT_EQ(docs.substr(table_at, end - table_at), expected)
      << "docs/config.md is out of date; regenerate it with SWITCHBOARD_UPDATE_DOCS=1";
}

TEST(Docs, TableNamesEveryFlagAndEnvironmentVariable) {
  const std::string table = options_markdown();
  for (const auto& info : option_infos()) {
    EXPECT_NE(table.find("`" + info.flag + "`"), std::string::npos) << info.flag;
    for (const auto& env : info.env) {
      EXPECT_NE(table.find("`" + env + "`"), std::string::npos) << env;
    }
  }
}

}  // namespace
}  // namespace switchboard::config
