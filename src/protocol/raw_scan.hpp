#pragma once
// Walks the top-level fields of a JSON object that is already known to be valid, yielding each
// key (raw, between its quotes) and the exact text of its value. Lets the protocol forward a
// payload byte for byte after simdjson validated the message.
#include <string>
#include <string_view>

namespace switchboard::protocol::detail {

// A key as written between its quotes, with its escapes resolved (p\u0061yload is
// payload): JSON compares keys by value, so a scanned key is decoded before it is compared.
// Keys without a backslash (nearly all) are returned as they are.
std::string decode_key(std::string_view raw_key);

// Calls f(raw_key, raw_value) for each top-level field. `text` must be a valid JSON object
// (behaviour is unspecified otherwise, but never reads out of bounds).
template <class F>
void scan_fields(std::string_view text, F&& f) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  auto skip_ws = [&] {
    while (i < n && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) ++i;
  };
  auto skip_string = [&] {  // at the opening quote; ends after the closing one
    ++i;
    while (i < n && text[i] != '"') i += (text[i] == '\\') ? 2 : 1;
    ++i;
  };
  auto skip_value = [&] {
    if (i >= n) return;
    if (text[i] == '"') return skip_string();
    if (text[i] == '{' || text[i] == '[') {
      int depth = 0;
      while (i < n) {
        const char c = text[i];
        if (c == '"') {
          skip_string();
          continue;
        }
        if (c == '{' || c == '[') ++depth;
        if (c == '}' || c == ']') {
          if (--depth == 0) {
            ++i;
            return;
          }
        }
        ++i;
      }
      return;
    }
    while (i < n && text[i] != ',' && text[i] != '}' && text[i] != ']' && text[i] != ' ' &&
           text[i] != '\n' && text[i] != '\r' && text[i] != '\t') {
      ++i;
    }
  };
  skip_ws();
  if (i >= n || text[i] != '{') return;
  ++i;
  while (true) {
    skip_ws();
    if (i >= n || text[i] != '"') return;
    const std::size_t key_start = i + 1;
    skip_string();
    const std::string_view key = text.substr(key_start, i - 1 - key_start);
    skip_ws();
    if (i >= n || text[i] != ':') return;
    ++i;
    skip_ws();
    const std::size_t value_start = i;
    skip_value();
    f(key, text.substr(value_start, i - value_start));
    skip_ws();
    if (i >= n || text[i] != ',') return;
    ++i;
  }
}

}  // namespace switchboard::protocol::detail
