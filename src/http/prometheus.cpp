// Prometheus text exposition format 0.0.4:
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
#include "switchboard/http/prometheus.hpp"

#include <charconv>
#include <cmath>

namespace switchboard::http {
namespace {

// Label values escape backslash, double quote and line feed; HELP text escapes only
// backslash and line feed.
void append_escaped(std::string& out, std::string_view s, bool escape_quote) {
  for (const char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void append_labels(std::string& out, PrometheusWriter::Labels labels) {
  if (labels.size() == 0) return;
  out += '{';
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    out.append(name).append("=\"");
    append_escaped(out, value, true);
    out += '"';
  }
  out += '}';
}

template <typename Number>
void append_number(std::string& out, Number value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

void append_double(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else if (value == std::trunc(value) && std::fabs(value) < 9007199254740992.0) {
    // Whole numbers up to 2^53 are exact as integers: print 1000000, not 1e+06.
    append_number(out, static_cast<long long>(value));
  } else {
    append_number(out, value);  // shortest text that reads back as the same double
  }
}

void begin_sample(std::string& out, std::string_view name, PrometheusWriter::Labels labels) {
  out.append(name);
  append_labels(out, labels);
  out += ' ';
}

}  // namespace

void PrometheusWriter::family(std::string_view name, std::string_view type, std::string_view help) {
  out_.append("# HELP ").append(name).append(" ");
  append_escaped(out_, help, false);
  out_.append("\n# TYPE ").append(name).append(" ").append(type).append("\n");
}

void PrometheusWriter::sample(std::string_view name, double value, Labels labels) {
  begin_sample(out_, name, labels);
  append_double(out_, value);
  out_ += '\n';
}

void PrometheusWriter::sample(std::string_view name, std::uint64_t value, Labels labels) {
  begin_sample(out_, name, labels);
  append_number(out_, value);
  out_ += '\n';
}

}  // namespace switchboard::http
