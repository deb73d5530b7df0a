// RFC 9112 §3.2: Host values and absolute-form request targets.
#include "request_target.hpp"

#include <algorithm>

#include "text.hpp"

namespace switchboard::http {
namespace {

// unreserved, sub-delims and '%' (RFC 3986 §2), ':' before the port, brackets around an
// IP-literal. Notably absent: '@' (userinfo, which RFC 9110 §4.2.4 forbids), '/', spaces.
bool is_host_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  constexpr std::string_view kOthers = "-._~!$&'()*+,;=%:[]";
  return kOthers.find(c) != std::string_view::npos;
}

// The target after "http://" or "https://" (the scheme case-insensitive).
std::optional<std::string_view> after_http_scheme(std::string_view target) noexcept {
  for (const std::string_view scheme :
       {std::string_view("http://"), std::string_view("https://")}) {
    if (target.size() >= scheme.size() && text::iequals(target.substr(0, scheme.size()), scheme)) {
      return target.substr(scheme.size());
    }
  }
  return std::nullopt;
}

}  // namespace

bool is_valid_host(std::string_view value) noexcept {
  return std::all_of(value.begin(), value.end(), is_host_char);
}

std::optional<AbsoluteForm> split_absolute_form(std::string_view target) {
  const std::optional<std::string_view> after = after_http_scheme(target);
  if (!after) return std::nullopt;
  const std::string_view rest = *after;
  const std::size_t end = std::min(rest.find_first_of("/?"), rest.size());
  AbsoluteForm form;
  form.authority = rest.substr(0, end);
  const std::string_view path_and_query = rest.substr(end);
  form.origin.reserve(path_and_query.size() + 1);
  if (!path_and_query.starts_with('/')) form.origin.push_back('/');
  form.origin.append(path_and_query);
  return form;
}

}  // namespace switchboard::http
