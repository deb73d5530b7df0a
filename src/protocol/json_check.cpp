#include "switchboard/protocol/json_check.hpp"

#include <simdjson.h>

#include <boost/json/parse.hpp>

namespace switchboard::protocol {
namespace {

boost::json::parse_options boost_options() {
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  return options;
}

}  // namespace

JsonCheck check_json(std::string_view text) {
  if (text.empty()) return JsonCheck::invalid;  // (and never hand simdjson a null pointer)
  // simdjson counts the document itself as a level but not an empty array or object (`[]` at
  // the bottom costs nothing), so the depth it reports can be one short of the true one. Its
  // limit is kMaxJsonDepth: whatever it accepts is within the rule; a document it finds too
  // deep (true depth kMaxJsonDepth or more) is measured exactly by Boost.JSON below, as are
  // numbers simdjson cannot represent.
  thread_local simdjson::dom::parser parser = [] {
    simdjson::dom::parser p;
    // Only allocation can fail here; parse() then allocates again and reports what failed.
    [[maybe_unused]] const auto allocated = p.allocate(4096, kMaxJsonDepth);
    return p;
  }();
  simdjson::dom::element root;
  switch (parser.parse(text.data(), text.size(), true).get(root)) {
    case simdjson::SUCCESS:
      return JsonCheck::valid;
    case simdjson::DEPTH_ERROR:
    case simdjson::NUMBER_ERROR:
    case simdjson::NUMBER_OUT_OF_RANGE:
      break;  // Boost.JSON tells whether it is too deep, or which number is malformed
    default:
      return JsonCheck::invalid;
  }
  boost::json::error_code ec;
  parse_json(text, ec);
  if (!ec) return JsonCheck::valid;
  return ec == boost::json::error::too_deep ? JsonCheck::too_deep : JsonCheck::invalid;
}

std::string_view describe(JsonCheck check) {
  switch (check) {
    case JsonCheck::valid: return "valid JSON";
    case JsonCheck::too_deep: return "JSON nested deeper than 64 levels";
    case JsonCheck::invalid: break;
  }
  return "not valid JSON";
}

boost::json::value parse_json(std::string_view text, boost::json::error_code& ec) {
  static const boost::json::parse_options options = boost_options();
  return boost::json::parse(boost::json::string_view(text.data(), text.size()), ec, {},
                            options);
}

}  // namespace switchboard::protocol
