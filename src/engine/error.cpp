// The engine's error category: messages for EngineErrc.
#include "switchboard/engine/error.hpp"

#include <string>
#include <system_error>

namespace switchboard::engine {
namespace {

class EngineCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "switchboard.engine"; }
  std::string message(int code) const override {
    switch (static_cast<EngineErrc>(code)) {
      case EngineErrc::not_started:
        return "broker not started";
      case EngineErrc::unknown_node:
        return "no such node";
      case EngineErrc::unavailable:
        return "engine backend unavailable";
      case EngineErrc::timeout:
        return "engine backend timed out";
    }
    return "unknown engine error";
  }
};

}  // namespace

const std::error_category& engine_category() noexcept {
  static const EngineCategory category;
  return category;
}

}  // namespace switchboard::engine
