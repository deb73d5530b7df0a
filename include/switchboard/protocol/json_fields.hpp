#pragma once
// The top-level fields of a JSON object as raw JSON text, without building a document: lets
// ingress (server API bodies) pick out a few fields and forward `payload` byte for byte.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::protocol {

class JsonFields {
 public:
  // nullopt when `text` is not a single valid JSON object.
  static std::optional<JsonFields> parse(std::string_view text);

  bool has(std::string_view key) const noexcept { return raw(key) != nullptr; }
  // The raw JSON text of a field, or nullptr when absent.
  const std::string* raw(std::string_view key) const noexcept;
  // A string field's decoded value; nullopt when absent or not a string.
  std::optional<std::string> string(std::string_view key) const;
  // A boolean field; nullopt when absent or not a boolean.
  std::optional<bool> boolean(std::string_view key) const;
  // A non-negative integer field; nullopt when absent or not such a number.
  std::optional<std::uint64_t> uint(std::string_view key) const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

}  // namespace switchboard::protocol
