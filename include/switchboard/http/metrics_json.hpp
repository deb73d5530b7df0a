#pragma once
// The Prometheus exposition text /metrics serves, as JSON, for clients that are not a
// Prometheus scraper: the dashboard's stream (and anything else that wants the same numbers).
//
//   {"metrics": {"switchboard_connections": [{"value": 3}],
//                "switchboard_messages_in_total": [{"labels": {"worker": "0"}, "value": 10},
//                                                  {"labels": {"worker": "1"}, "value": 7}]}}
//
// Every family is an array of its samples in the text's order; "labels" is left out of a
// sample without labels. Values are numbers (NaN and ±Inf, which JSON cannot say, as null).
// Comment lines are skipped, and so is a line that is not a well-formed sample.
#include <string>
#include <string_view>

namespace switchboard::http {

std::string metrics_json(std::string_view exposition);

}  // namespace switchboard::http
