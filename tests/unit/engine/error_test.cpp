// The engine error category and printing helpers.
#include "switchboard/engine/error.hpp"

#include <gtest/gtest.h>

#include <system_error>

#include "switchboard/engine/publication.hpp"

namespace switchboard::engine {
namespace {

TEST(EngineError, CodesConvertToErrorCodesOfTheEngineCategory) {
  const std::error_code ec = EngineErrc::unknown_node;
  EXPECT_TRUE(ec);
  EXPECT_EQ(&ec.category(), &engine_category());
  EXPECT_STREQ(ec.category().name(), "switchboard.engine");
  EXPECT_EQ(ec.message(), "no such node");
  EXPECT_EQ(std::error_code(EngineErrc::not_started).message(), "broker not started");
  EXPECT_NE(std::error_code(EngineErrc::unavailable), std::error_code(EngineErrc::timeout));
}

TEST(EngineError, StreamPositionPrintsOffsetAtEpoch) {
  EXPECT_EQ(to_string(StreamPosition{42, "ab12cd34"}), "42@ab12cd34");
}

}  // namespace
}  // namespace switchboard::engine
