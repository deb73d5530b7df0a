#pragma once
// Errors an engine reports through its completion callbacks (every call of every interface).
// A backend maps its own failures (connection refused, timeout) onto these so that the node
// reacts the same way whatever the backend.
#include <functional>
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

// What every engine call completes with: an empty error_code once it took effect, else why
// not. A call that answers a value hands it with the error_code (a default value on error).
using Completion = std::function<void(std::error_code)>;
template <class T>
using ResultCallback = std::function<void(std::error_code, T)>;

inline std::error_code make_error_code(EngineErrc e) noexcept {
  return {static_cast<int>(e), engine_category()};
}

}  // namespace switchboard::engine

template <>
struct std::is_error_code_enum<switchboard::engine::EngineErrc> : std::true_type {};
