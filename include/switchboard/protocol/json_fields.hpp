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
  // nullopt when `text` is not a single JSON object passing check_json (json_check.hpp);
  // `why` (optional) then gets a sentence for the client.
  static std::optional<JsonFields> parse(std::string_view text, std::string_view* why = nullptr);

  bool has(std::string_view key) const noexcept { return raw(key) != nullptr; }
  // The raw JSON text of a field, or nullptr when absent.
  const std::string* raw(std::string_view key) const noexcept;
  // A string field's decoded value; nullopt when absent or not a string.
  std::optional<std::string> string(std::string_view key) const;
  // A boolean field; nullopt when absent or not a boolean.
  std::optional<bool> boolean(std::string_view key) const;
  // A non-negative integer field; nullopt when absent or not such a number.
  std::optional<std::uint64_t> uint(std::string_view key) const;
  // f(key, raw value) for every field, in document order.
  template <typename F>
  void for_each(F&& f) const {
    for (const auto& [key, value] : fields_) f(key, value);
  }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// The raw JSON text of field `key` of `object`, a JSON object already known to be valid (a
// checked envelope's payload); nullopt when absent. The first of duplicate keys counts.
std::optional<std::string_view> raw_field(std::string_view object, std::string_view key);

}  // namespace switchboard::protocol
