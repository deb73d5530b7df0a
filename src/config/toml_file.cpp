#include "toml_file.hpp"

#include <toml++/toml.h>

#include <sstream>

#include "option_spec.hpp"
#include "value_text.hpp"

namespace switchboard::config {
namespace {

// A TOML value for `spec`: a string always goes through the text grammar (so "8KiB" works);
// otherwise the natural TOML type is accepted — integer for numbers (bytes, milliseconds),
// boolean for bools, array of strings for lists.
std::optional<Value> from_node(const OptionSpec& spec, const toml::node& node) {
  if (const auto* s = node.as_string()) return parse_text(spec, s->get());
  std::optional<Value> value;
  if (const auto* i = node.as_integer(); i != nullptr && is_numeric(spec.type) && i->get() >= 0) {
    value = static_cast<std::uint64_t>(i->get());
  } else if (const auto* b = node.as_boolean(); b != nullptr && spec.type == OptionType::boolean) {
    value = b->get();
  } else if (const auto* a = node.as_array();
             a != nullptr && spec.type == OptionType::string_list) {
    std::vector<std::string> items;
    for (const auto& element : *a) {
      const auto* item = element.as_string();
      if (item == nullptr) return std::nullopt;
      items.push_back(item->get());
    }
    value = std::move(items);
  }
  if (value && !valid(spec, *value)) value.reset();
  return value;
}

std::string shown(const toml::node& node) {
  if (const auto* s = node.as_string()) return s->get();
  std::ostringstream out;
  node.visit([&out](const auto& n) { out << n; });
  return out.str();
}

std::string location(const std::string& path, const toml::node& node) {
  return path + ":" + std::to_string(node.source().begin.line);
}

const OptionSpec* find_spec(std::string_view name) {
  for (const auto& spec : option_table()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

}  // namespace

void apply_toml_file(const std::string& path, Config& config, std::vector<std::string>& errors) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream message;
    message << "cannot load config file " << path << ": " << e.description();
    if (e.source().begin.line != 0) message << " (line " << e.source().begin.line << ")";
    errors.push_back(message.str());
    return;
  }
  for (const auto& [key, node] : table) {
    const OptionSpec* spec = find_spec(key.str());
    const std::string where = location(path, node);
    if (spec == nullptr || !spec->in_file) {
      errors.push_back("unknown key '" + std::string(key.str()) + "' in " + where +
                       (spec == nullptr ? "" : " (it can only be set by flag or environment)"));
      continue;
    }
    if (auto value = from_node(*spec, node)) {
      spec->store(config, *value);
    } else {
      errors.push_back(
          invalid_value(*spec, shown(node),
                        std::string(spec->name) + " in " + where + " (" + flag_name(*spec) + ")"));
    }
  }
}

}  // namespace switchboard::config
