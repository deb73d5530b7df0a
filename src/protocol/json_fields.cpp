#include "switchboard/protocol/json_fields.hpp"

#include <boost/json.hpp>

#include "raw_scan.hpp"
#include "switchboard/protocol/json_check.hpp"

namespace switchboard::protocol {

std::optional<JsonFields> JsonFields::parse(std::string_view text, std::string_view* why) {
  const JsonCheck check = check_json(text);
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (check != JsonCheck::valid || text[first] != '{') {
    if (why != nullptr) {
      *why = check == JsonCheck::too_deep ? describe(check) : "body must be a JSON object";
    }
    return std::nullopt;
  }
  JsonFields out;
  detail::scan_fields(text, [&](std::string_view raw_key, std::string_view value) {
    out.fields_.emplace_back(detail::decode_key(raw_key), std::string(value));
  });
  return out;
}

std::optional<std::string_view> raw_field(std::string_view object, std::string_view key) {
  std::optional<std::string_view> found;
  detail::scan_fields(object, [&](std::string_view raw_key, std::string_view value) {
    if (!found && detail::decode_key(raw_key) == key) found = value;
  });
  return found;
}

const std::string* JsonFields::raw(std::string_view key) const noexcept {
  for (const auto& [k, v] : fields_) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::optional<std::string> JsonFields::string(std::string_view key) const {
  const std::string* r = raw(key);
  if (r == nullptr || r->empty() || r->front() != '"') return std::nullopt;
  boost::json::error_code ec;
  const boost::json::value v = boost::json::parse(*r, ec);
  if (ec || !v.is_string()) return std::nullopt;
  return std::string(v.as_string());
}

std::optional<bool> JsonFields::boolean(std::string_view key) const {
  const std::string* r = raw(key);
  if (r == nullptr) return std::nullopt;
  if (*r == "true") return true;
  if (*r == "false") return false;
  return std::nullopt;
}

std::optional<std::uint64_t> JsonFields::uint(std::string_view key) const {
  const std::string* r = raw(key);
  if (r == nullptr) return std::nullopt;
  boost::json::error_code ec;
  const boost::json::value v = boost::json::parse(*r, ec);
  if (ec) return std::nullopt;
  if (v.is_uint64()) return v.as_uint64();
  if (v.is_int64() && v.as_int64() >= 0) return static_cast<std::uint64_t>(v.as_int64());
  return std::nullopt;
}

}  // namespace switchboard::protocol
