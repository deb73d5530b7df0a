#pragma once
// The `[[ingress]]` tables of the TOML file (include/switchboard/config/ingress_rule.hpp).
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "switchboard/config/config.hpp"

namespace switchboard::config {

// Reads the array of tables `node` (the file's "ingress" key) into config.ingress. Each
// problem appends one message naming the rule, `path`:line and the field.
void apply_ingress_tables(const std::string& path, const toml::node& node, Config& config,
                          std::vector<std::string>& errors);

// The checks that need the whole configuration (after flags and environment): a Redis
// pattern that would catch the engine's own channels, the default of `consumers`.
void check_ingress_rules(Config& config, std::vector<std::string>& errors);

}  // namespace switchboard::config
