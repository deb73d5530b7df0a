#pragma once
// Errors an engine reports through its completion callbacks (broker calls, later the
// distributed stores). A backend maps its own failures (connection refused, timeout) onto
// these so that the node reacts the same way whatever the backend.
#include <string>
#include <system_error>

namespace switchboard::engine {

enum class EngineErrc {
  not_started = 1,  // a broker call before Broker::start()
  unknown_node,     // publish_to_node(): no such node is listening
  unavailable,      // the backend cannot be reached; the call had no effect
  timeout,          // the backend did not answer in time; the effect is unknown
};

const std::error_category& engine_category() noexcept;

inline std::error_code make_error_code(EngineErrc e) noexcept {
  return {static_cast<int>(e), engine_category()};
}

}  // namespace switchboard::engine

template <>
struct std::is_error_code_enum<switchboard::engine::EngineErrc> : std::true_type {};
