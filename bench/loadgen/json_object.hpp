// A tiny append-only JSON object writer for the final report (keys in insertion order).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace switchboard::bench {

class JsonObject {
 public:
  JsonObject& add(std::string_view key, std::string_view value);
  JsonObject& add(std::string_view key, const char* value) {
    return add(key, std::string_view(value));
  }
  JsonObject& add(std::string_view key, double value);
  JsonObject& add(std::string_view key, std::uint64_t value);
  JsonObject& add(std::string_view key, std::int64_t value);
  JsonObject& add(std::string_view key, int value) { return add(key, std::int64_t{value}); }
  JsonObject& add(std::string_view key, bool value);
  JsonObject& add(std::string_view key, const JsonObject& value);
  JsonObject& add_null(std::string_view key);

  std::string str() const { return "{" + body_ + "}"; }

 private:
  void add_key(std::string_view key);
  static void append_string(std::string& out, std::string_view value);

  std::string body_;
};

}  // namespace switchboard::bench
