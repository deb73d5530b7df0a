#include "nats_subject.hpp"

namespace switchboard::engine::nats {
namespace {

bool needs_escape(unsigned char c) {
  // Control bytes (and DEL), space, non-ASCII, and what NATS gives a meaning in a subject.
  return c <= 0x20 || c >= 0x7f || c == '.' || c == '*' || c == '>' || c == '%';
}

std::string subject(std::string_view prefix, std::string_view kind, std::string_view name) {
  std::string out;
  out.reserve(prefix.size() + kind.size() + name.size() + 2);
  out.append(prefix).append(".").append(kind).append(".");
  out += escape_subject_token(name);
  return out;
}

}  // namespace

std::string escape_subject_token(std::string_view name) {
  if (name.empty()) return "%";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(name.size());
  for (const char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (needs_escape(c)) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    } else {
      out += ch;
    }
  }
  return out;
}

std::optional<std::string> subject_prefix_problem(std::string_view prefix) {
  if (prefix.empty()) return "the subject prefix is empty";
  if (prefix.front() == '.' || prefix.back() == '.' ||
      prefix.find("..") != std::string_view::npos) {
    return "the subject prefix '" + std::string(prefix) + "' has an empty token";
  }
  for (const char ch : prefix) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f || c == '*' || c == '>') {
      return "the subject prefix '" + std::string(prefix) +
             "' holds a wildcard, whitespace or a control byte";
    }
  }
  return std::nullopt;
}

std::string channel_subject(std::string_view prefix, std::string_view channel) {
  return subject(prefix, "c", channel);
}

std::string node_subject(std::string_view prefix, std::string_view node_id) {
  return subject(prefix, "n", node_id);
}

}  // namespace switchboard::engine::nats
