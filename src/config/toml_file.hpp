#pragma once
// The TOML layer of the configuration: a flat table whose keys are option names.
#include <string>
#include <vector>

#include "switchboard/config/config.hpp"

namespace switchboard::config {

// Reads the TOML file at `path` and stores every option it sets into `config`. Each problem
// (unreadable file, syntax error, unknown key, invalid value) appends one message to `errors`;
// valid keys are still applied so that all problems are reported in one run.
void apply_toml_file(const std::string& path, Config& config, std::vector<std::string>& errors);

}  // namespace switchboard::config
