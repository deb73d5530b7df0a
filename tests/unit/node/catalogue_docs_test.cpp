// The catalogue of client-visible codes (error_codes.hpp, close_codes.hpp, the transport's
// application close codes, auth::to_string's) against docs/protocol.md: every code the code can
// send is documented where a reader looks for it. The headers are read as text, so that a code
// added to them is checked without being listed here too.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "close_codes.hpp"
#include "error_codes.hpp"
#include "switchboard/auth/identity.hpp"
#include "switchboard/ws/close_code.hpp"

namespace switchboard::node {
namespace {

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Constant {
  std::string name;
  std::string value;
};

// The `inline constexpr` constants of `namespace switchboard::node::<ns> { ... }` in `header`;
// fails the test when the block is missing or holds a constant the pattern does not read.
std::vector<Constant> constants(const std::string& header, const std::string& ns) {
  const std::string open = "namespace switchboard::node::" + ns + " {";
  const auto begin = header.find(open);
  const auto end = header.find("}  // namespace switchboard::node::" + ns, begin);
  if (begin == std::string::npos || end == std::string::npos) {
    ADD_FAILURE() << "no namespace " << ns;
    return {};
  }
  const std::string block = header.substr(begin, end - begin);
  // Each `inline constexpr std::<string_view|uint16_t> kName = "value";` (or `= 4001;`), read
  // by hand: std::regex trips GCC 12's -Wmaybe-uninitialized in sanitizer builds.
  std::vector<Constant> out;
  for (const std::string_view type : {"std::string_view ", "std::uint16_t "}) {
    const std::string prefix = "inline constexpr " + std::string(type);
    for (auto at = block.find(prefix); at != std::string::npos; at = block.find(prefix, at + 1)) {
      const auto name_begin = at + prefix.size();
      const auto name_end = block.find(" = ", name_begin);
      const auto value_end = block.find(';', name_begin);
      if (name_end == std::string::npos || value_end == std::string::npos || name_end > value_end) {
        continue;
      }
      const std::string name = block.substr(name_begin, name_end - name_begin);
      std::string value = block.substr(name_end + 3, value_end - name_end - 3);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      const bool plain_name =
          name.size() > 1 && name[0] == 'k' && std::all_of(name.begin(), name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
          });
      const bool plain_value = !value.empty() &&
          std::all_of(value.begin(), value.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
          });
      if (plain_name && plain_value) out.push_back({name, value});
    }
  }
  std::size_t declared = 0;
  for (auto at = block.find("inline constexpr"); at != std::string::npos;
       at = block.find("inline constexpr", at + 1)) {
    ++declared;
  }
  EXPECT_EQ(out.size(), declared) << "a constant of " << ns << " is not written as the others";
  return out;
}

// The text from the heading `heading` ("## Title") to the next heading of its level.
std::string section(const std::string& docs, const std::string& heading) {
  const auto begin = docs.find("\n" + heading + "\n");
  if (begin == std::string::npos) {
    ADD_FAILURE() << "docs/protocol.md has no heading " << heading;
    return {};
  }
  const std::string level = heading.substr(0, heading.find(' ') + 1);  // "## ": not "### "
  const auto end = docs.find("\n" + level, begin + 1);
  return docs.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

// The table or paragraph starting with `start`, up to the blank line ending it.
std::string block(const std::string& docs, const std::string& start) {
  const auto begin = docs.find(start);
  if (begin == std::string::npos) {
    ADD_FAILURE() << "docs/protocol.md has no " << start;
    return {};
  }
  return docs.substr(begin, docs.find("\n\n", begin) - begin);
}

bool names(const std::string& text, std::string_view code) {
  return text.find("`" + std::string(code) + "`") != std::string::npos;
}

// A row of a close code table: `| 4001 | ...`.
bool has_close_row(const std::string& docs, std::uint16_t code) {
  return docs.find("\n| " + std::to_string(code) + " |") != std::string::npos;
}

class CatalogueDocs : public ::testing::Test {
 protected:
  const std::string docs_ = read_file(SWITCHBOARD_DOCS_PROTOCOL);
  const std::string error_codes_ = read_file(SWITCHBOARD_ERROR_CODES_HEADER);
  const std::string close_codes_ = read_file(SWITCHBOARD_CLOSE_CODES_HEADER);

  // Every code of error_codes.hpp's namespace `ns` is named, in backticks, in `text`.
  void expect_named(const std::string& ns, const std::string& text, std::string_view where) {
    for (const auto& c : constants(error_codes_, ns)) {
      EXPECT_TRUE(names(text, c.value)) << c.name << " (`" << c.value << "`) is not in " << where;
    }
  }
};

TEST_F(CatalogueDocs, HeadersAreReadAsCompiled) {
  // The text the other tests read is the catalogue the gateway is built with.
  const auto errors = constants(error_codes_, "error_code");
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors.front().name, "kBadJson");
  EXPECT_EQ(errors.front().value, error_code::kBadJson);
  const auto closes = constants(close_codes_, "close_code");
  ASSERT_FALSE(closes.empty());
  EXPECT_EQ(closes.front().value, std::to_string(close_code::kClientLeft));
}

TEST_F(CatalogueDocs, EveryErrorCodeIsInTheErrorTable) {
  expect_named("error_code", block(docs_, "| error code | when |"), "the error code table");
}

TEST_F(CatalogueDocs, EveryAuthErrorCodeIsListed) {
  const std::string list = block(docs_, "`auth.error` codes:");
  expect_named("auth_error_code", list, "the `auth.error` codes");
  // The authenticators' verdicts: every AuthError after `none`, up to to_string's fallback.
  int listed = 0;
  for (int e = static_cast<int>(auth::AuthError::none) + 1;; ++e) {
    const std::string_view code = auth::to_string(static_cast<auth::AuthError>(e));
    if (code == "unknown") break;
    EXPECT_TRUE(names(list, code)) << "`" << code << "`";
    ++listed;
  }
  EXPECT_EQ(listed, static_cast<int>(auth::AuthError::service_unavailable));
}

TEST_F(CatalogueDocs, EveryServerApiErrorCodeIsInTheServerApiSection) {
  expect_named("api_error_code", section(docs_, "## Server API"), "the Server API section");
}

TEST_F(CatalogueDocs, EveryCloseCodeHasATableRow) {
  for (const auto& c : constants(close_codes_, "close_code")) {
    EXPECT_TRUE(has_close_row(docs_, static_cast<std::uint16_t>(std::stoi(c.value))))
        << c.name << " (" << c.value << ") has no row in a close code table";
  }
  // The transport's own application codes, and what it sends of RFC 6455's.
  for (const std::uint16_t code :
       {ws::close_code::kSlowConsumer, ws::close_code::kIdleTimeout, ws::close_code::kNormal,
        ws::close_code::kProtocolError, ws::close_code::kInvalidPayload,
        ws::close_code::kMessageTooBig, ws::close_code::kServiceRestart}) {
    EXPECT_TRUE(has_close_row(docs_, code)) << code;
  }
}

}  // namespace
}  // namespace switchboard::node
