#include "switchboard/protocol/json_fields.hpp"

#include <boost/json.hpp>
#include <simdjson.h>

#include "raw_scan.hpp"

namespace switchboard::protocol {

std::optional<JsonFields> JsonFields::parse(std::string_view text) {
  if (text.empty()) return std::nullopt;  // (and never hand simdjson a null pointer)
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size(), true).get(root) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  if (!root.is_object()) return std::nullopt;
  JsonFields out;
  detail::scan_fields(text, [&](std::string_view raw_key, std::string_view value) {
    out.fields_.emplace_back(detail::decode_key(raw_key), std::string(value));
  });
  return out;
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
