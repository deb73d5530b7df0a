#pragma once
// A read-only description of every option, derived from the option table; --help, docs/config.md
// and tools that list the configuration (e.g. a startup log line) read it instead of repeating it.
#include <string>
#include <vector>

namespace switchboard::config {

struct OptionInfo {
  std::string name;              // snake_case; also the TOML key
  std::string flag;              // "--max-message-size"
  std::vector<std::string> env;  // "SWITCHBOARD_PORT" first, then aliases ("WSGATEWAY_PORT")
  std::string type;              // bool | uint | size | duration | string | list | enum
  std::string default_value;     // canonical text, "(empty)" for an empty string or list
  std::string bounds;            // "1..65535", ">= 125B", "console|json", or ""
  std::string help;              // one sentence
  bool in_file = true;           // false when the TOML file may not set it (`config`)
};

// Every option, in table order. Thread safety: may be called from any thread.
std::vector<OptionInfo> option_infos();

// The Markdown table of options that docs/config.md embeds between the markers
// `<!-- options:begin -->` and `<!-- options:end -->`.
std::string options_markdown();

}  // namespace switchboard::config
