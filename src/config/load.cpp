// Loading: the three layers (TOML file, environment, flags) applied over the defaults in
// order of increasing precedence, each value parsed and validated by the option table.
#include <CLI/CLI.hpp>
#include <map>
#include <thread>

#include "option_spec.hpp"
#include "switchboard/config/config.hpp"
#include "combinations.hpp"
#include "toml_file.hpp"
#include "value_text.hpp"

#ifndef SWITCHBOARD_VERSION
#define SWITCHBOARD_VERSION "unknown"
#endif

namespace switchboard::config {
namespace {

using Environment = std::map<std::string, std::string, std::less<>>;

Environment read_environment(const char* const* envp) {
  Environment env;
  for (; envp != nullptr && *envp != nullptr; ++envp) {
    const std::string_view entry(*envp);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

// The command line as text per option; values are parsed by the table, not by CLI11, so that
// flags, environment and file share one grammar and one wording of errors.
struct CommandLine {
  bool help = false;
  bool version = false;
  std::map<std::string_view, std::string> given;  // option name → last value on the line
  std::vector<std::string> unknown;
};

std::optional<std::string> parse_command_line(int argc, const char* const* argv,
                                              CommandLine& line) {
  CLI::App app{"switchboard"};
  app.set_help_flag();  // our own --help, rendered from the table
  app.allow_extras();   // unknown arguments are reported by us, after --help had its chance
  app.add_flag("-h,--help", line.help);
  app.add_flag("--version", line.version);
  const auto& table = option_table();
  std::vector<std::string> texts(table.size());
  std::vector<CLI::Option*> options;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const std::string flag = flag_name(table[i]);
    // A bool is a flag: `--echo` stores "true", `--echo=false` stores "false".
    CLI::Option* option = table[i].type == OptionType::boolean ? app.add_flag(flag, texts[i])
                                                               : app.add_option(flag, texts[i]);
    option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    options.push_back(option);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return std::string(e.what());
  }
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (options[i]->count() > 0) line.given.emplace(table[i].name, texts[i]);
  }
  line.unknown = app.remaining();
  return std::nullopt;
}

class Loader {
 public:
  Loader(CommandLine line, Environment env) : line_(std::move(line)), env_(std::move(env)) {}

  LoadResult run() {
    if (const std::string path = config_path(); !path.empty()) {
      apply_toml_file(path, config_, errors_);
    }
    for (const auto& spec : option_table()) apply_environment(spec);
    for (const auto& spec : option_table()) apply_flag(spec);
    check_combinations(config_, errors_);
    if (!errors_.empty()) return failure();
    if (config_.workers == 0) config_.workers = std::max(1U, std::thread::hardware_concurrency());
    return LoadResult{.config = std::move(config_), .exit_code = 0, .message = {}};
  }

 private:
  // The file is named by the flag, else by the environment: its own layer cannot name it.
  std::string config_path() const {
    if (auto it = line_.given.find("config"); it != line_.given.end()) return it->second;
    for (const auto& spec : option_table()) {
      if (spec.name != "config") continue;
      for (const auto& name : env_names(spec)) {
        if (auto it = env_.find(name); it != env_.end()) return it->second;
      }
    }
    return {};
  }

  // SWITCHBOARD_<NAME> wins over an alias when both are set: it is the more specific name.
  void apply_environment(const OptionSpec& spec) {
    for (const auto& name : env_names(spec)) {
      auto it = env_.find(name);
      if (it == env_.end()) continue;
      apply_text(spec, it->second, name + " (" + flag_name(spec) + ")");
      return;
    }
  }

  void apply_flag(const OptionSpec& spec) {
    if (auto it = line_.given.find(spec.name); it != line_.given.end()) {
      apply_text(spec, it->second, flag_name(spec) + " (" + env_name(spec) + ")");
    }
  }

  void apply_text(const OptionSpec& spec, std::string_view text, const std::string& where) {
    if (auto value = parse_text(spec, text)) {
      spec.store(config_, *value);
    } else {
      errors_.push_back(invalid_value(spec, text, where));
    }
  }

  LoadResult failure() const {
    std::string message;
    for (const auto& error : errors_) message += "switchboard: " + error + "\n";
    return LoadResult{.config = std::nullopt, .exit_code = 2, .message = message};
  }

  CommandLine line_;
  Environment env_;
  Config config_;
  std::vector<std::string> errors_;
};

LoadResult usage_error(const std::string& what) {
  return LoadResult{
      .config = std::nullopt,
      .exit_code = 2,
      .message = "switchboard: " + what + "\nRun 'switchboard --help' for the options.\n"};
}

}  // namespace

LoadResult load(int argc, const char* const* argv, const char* const* envp) {
  CommandLine line;
  if (auto error = parse_command_line(argc, argv, line)) return usage_error(*error);
  if (line.help) return LoadResult{.config = std::nullopt, .exit_code = 0, .message = help_text()};
  if (line.version) {
    return LoadResult{.config = std::nullopt,
                      .exit_code = 0,
                      .message = std::string("switchboard ") + SWITCHBOARD_VERSION + "\n"};
  }
  if (!line.unknown.empty()) {
    std::string what = "unknown argument";
    for (const auto& arg : line.unknown) what += " '" + arg + "'";
    return usage_error(what);
  }
  return Loader(std::move(line), read_environment(envp)).run();
}

}  // namespace switchboard::config
