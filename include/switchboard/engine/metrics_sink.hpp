#pragma once
// MetricsSink: where an engine backend writes the counters of its own machinery (connections,
// commands, dropped messages) for the node's /metrics, without the engine knowing the format
// (the node adapts it to Prometheus text) and without the node knowing the backend.
//
// Rules, as in the Prometheus text format: call family() once per name, then every sample of
// that family, before the next family. Names are snake_case with the unit or `_total`;
// label values are any text (the sink escapes them).
//
// Thread safety: a sink is used by one thread at a time (the one serving /metrics).
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <utility>

namespace switchboard::engine {

class MetricsSink {
 public:
  enum class Type : std::uint8_t { counter, gauge };
  using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  virtual ~MetricsSink() = default;
  virtual void family(std::string_view name, Type type, std::string_view help) = 0;
  virtual void sample(std::string_view name, std::uint64_t value, Labels labels) = 0;
};

}  // namespace switchboard::engine
