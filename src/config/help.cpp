// Everything the option table says about itself: OptionInfo, --help and the docs table.
#include <sstream>

#include "option_spec.hpp"
#include "switchboard/config/config.hpp"
#include "switchboard/config/option_info.hpp"
#include "value_text.hpp"

namespace switchboard::config {
namespace {

OptionInfo describe(const OptionSpec& spec) {
  OptionInfo info;
  info.name = spec.name;
  info.flag = flag_name(spec);
  info.env = env_names(spec);
  info.type = type_name(spec.type);
  info.default_value = format_value(spec, spec.read(Config{}));
  if (info.default_value.empty()) info.default_value = "(empty)";
  info.bounds = bounds_text(spec);
  info.help = spec.help;
  info.in_file = spec.in_file;
  return info;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : std::string(separator)) + item;
  return out;
}

std::string flag_synopsis(const OptionInfo& info) {
  if (info.type == "bool") return info.flag + "[=<bool>]";
  std::string synopsis = info.flag + " <" + info.type;
  if (!info.bounds.empty()) synopsis += " " + info.bounds;
  return synopsis + ">";
}

// Appends `text` indented by `indent`, broken between words before column kWidth.
void append_wrapped(std::string& out, std::string_view text, std::size_t indent) {
  constexpr std::size_t kWidth = 100;
  std::string line(indent, ' ');
  while (!text.empty()) {
    const auto space = text.find(' ');
    const std::string_view word = text.substr(0, space);
    if (line.size() > indent && line.size() + 1 + word.size() > kWidth) {
      out += line + "\n";
      line.assign(indent, ' ');
    }
    if (line.size() > indent) line += ' ';
    line += word;
    text.remove_prefix(space == std::string_view::npos ? text.size() : space + 1);
  }
  out += line + "\n";
}

void pad_to(std::string& line, std::size_t column) {
  line.append(line.size() < column ? column - line.size() : 1, ' ');
}

constexpr std::string_view kHelpIntro =
    "Usage: switchboard [OPTIONS]\n"
    "\n"
    "Switchboard: a real-time WebSocket gateway.\n"
    "\n"
    "Every option can be set by a flag, an environment variable, or a key of the TOML file named\n"
    "by --config. Precedence: flags > environment > file > defaults. Sizes accept B, KiB, MiB,\n"
    "GiB (K, KB mean KiB); durations accept ms, s, m, h (a plain number means milliseconds);\n"
    "lists are comma-separated. Exit codes: 0 after --help/--version, 2 for an invalid option.\n"
    "\n"
    "Options:\n"
    "  -h, --help\n"
    "      Print this help and exit.\n"
    "  --version\n"
    "      Print the version and exit.\n";

}  // namespace

std::vector<OptionInfo> option_infos() {
  std::vector<OptionInfo> infos;
  for (const auto& spec : option_table()) infos.push_back(describe(spec));
  return infos;
}

std::string help_text() {
  std::string out(kHelpIntro);
  for (const auto& info : option_infos()) {
    std::string line = "  " + flag_synopsis(info);
    pad_to(line, 44);
    out += line + "default: " + info.default_value + "\n";
    append_wrapped(out, info.help, 6);
    out += "      env: " + join(info.env, ", ");
    out += info.in_file ? "; toml: " + info.name + "\n" : "; not in the TOML file\n";
  }
  return out;
}

std::string options_markdown() {
  std::ostringstream out;
  out << "| Option (TOML key) | Flag | Environment | Type | Default | Bounds | Meaning |\n"
      << "|---|---|---|---|---|---|---|\n";
  for (const auto& info : option_infos()) {
    std::vector<std::string> env;
    for (const auto& name : info.env) env.push_back("`" + name + "`");
    std::string bounds = info.bounds;
    // A pipe would end the table cell, even inside backticks.
    for (std::size_t at = bounds.find('|'); at != std::string::npos; at = bounds.find('|', at)) {
      bounds.replace(at, 1, ", ");
    }
    const std::string key = info.in_file ? "`" + info.name + "`" : info.name + " (not a file key)";
    out << "| " << key << " | `" << info.flag << "` | " << join(env, ", ") << " | " << info.type
        << " | `" << info.default_value << "` | " << (bounds.empty() ? "" : bounds) << " | "
        << info.help << " |\n";
  }
  return out.str();
}

}  // namespace switchboard::config
