#pragma once
// Options that are valid one by one but wrong together, or values that parse but can never
// work (an allowed origin no browser sends): refused at start-up, naming the option, rather
// than failing every client later. Also settles what depends on several options (an ingress
// rule's `consumers` when unset).
#include <string>
#include <vector>

#include "switchboard/config/config.hpp"

namespace switchboard::config {

void check_combinations(Config& config, std::vector<std::string>& errors);

}  // namespace switchboard::config
