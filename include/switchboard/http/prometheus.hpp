#pragma once
// Writes the Prometheus text exposition format (version 0.0.4).
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace switchboard::http {

class PrometheusWriter {
 public:
  using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;
  // "# HELP name help\n# TYPE name type\n"; type is "counter" or "gauge". Call once per name,
  // before its samples.
  void family(std::string_view name, std::string_view type, std::string_view help);
  // "name{k="v",...} value\n" with label values escaped.
  void sample(std::string_view name, double value, Labels labels = {});
  void sample(std::string_view name, std::uint64_t value, Labels labels = {});
  const std::string& text() const noexcept { return out_; }
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  std::string out_;
};

}  // namespace switchboard::http
