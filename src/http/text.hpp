#pragma once
// Small ASCII text helpers shared by the http module: case-insensitive comparison, header
// token lists, splitting, trimming and URL decoding. Private to sb_http.
#include <string>
#include <string_view>

namespace switchboard::http::text {

// ASCII case-insensitive equality (header names and tokens are ASCII).
bool iequals(std::string_view a, std::string_view b) noexcept;

// Strips spaces and horizontal tabs (HTTP's OWS) from both ends.
std::string_view trim(std::string_view s) noexcept;

// Whether a comma-separated header value ("keep-alive, Upgrade") holds `token`,
// case-insensitively.
bool has_token(std::string_view list, std::string_view token) noexcept;

// Calls f(piece) for every piece of `s` between separators (empty pieces included).
template <typename F>
void for_each_split(std::string_view s, char separator, F&& f) {
  while (true) {
    const std::size_t end = s.find(separator);
    f(s.substr(0, end));
    if (end == std::string_view::npos) return;
    s.remove_prefix(end + 1);
  }
}

// application/x-www-form-urlencoded decoding: "%XX" escapes and '+' as space. A '%' not
// followed by two hex digits is kept as is.
std::string url_decode(std::string_view s);

}  // namespace switchboard::http::text
