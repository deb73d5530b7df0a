#include "raw_scan.hpp"

#include <boost/json.hpp>

namespace switchboard::protocol::detail {

std::string decode_key(std::string_view raw_key) {
  std::string key(raw_key);
  if (raw_key.find('\\') == std::string_view::npos) return key;
  // Rare (clients do not escape plain keys): let a JSON parser decode the string it is.
  boost::json::error_code ec;
  const boost::json::value v = boost::json::parse("\"" + key + "\"", ec);
  if (!ec && v.is_string()) key = std::string(v.as_string());
  return key;
}

}  // namespace switchboard::protocol::detail
