#include "toml_file.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <sstream>

#include "ingress_rules.hpp"
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

// [namespaces.<name>] tables: per-namespace overrides of a few channel options. Their values
// follow the same grammar as the options they override.
void apply_namespaces(const std::string& path, const toml::node& node, Config& config,
                      std::vector<std::string>& errors) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    errors.push_back("namespaces in " + location(path, node) + " must be a table of tables");
    return;
  }
  for (const auto& [name, ns_node] : *table) {
    const auto* ns_table = ns_node.as_table();
    if (ns_table == nullptr) {
      errors.push_back("namespaces." + std::string(name.str()) + " in " +
                       location(path, ns_node) + " must be a table");
      continue;
    }
    NamespaceConfig ns;
    ns.name = std::string(name.str());
    for (const auto& [key, value_node] : *ns_table) {
      const std::string where = "namespaces." + ns.name + "." + std::string(key.str()) + " in " +
                                location(path, value_node);
      if (key.str() == "public") {
        if (const auto* b = value_node.as_boolean()) {
          ns.is_public = b->get();
        } else {
          errors.push_back("invalid value '" + shown(value_node) + "' for " + where +
                           ": expected true or false");
        }
        continue;
      }
      static constexpr std::string_view kOverridable[] = {
          "history_size", "history_ttl", "snapshot_ttl", "client_publish", "join_leave_events"};
      const bool overridable =
          std::find(std::begin(kOverridable), std::end(kOverridable), key.str()) !=
          std::end(kOverridable);
      const OptionSpec* spec = overridable ? find_spec(key.str()) : nullptr;
      if (spec == nullptr) {
        errors.push_back("unknown key '" + std::string(key.str()) + "' in " + where +
                         " (namespaces take public, history_size, history_ttl, snapshot_ttl, "
                         "client_publish, join_leave_events)");
        continue;
      }
      auto value = from_node(*spec, value_node);
      if (!value) {
        errors.push_back(invalid_value(*spec, shown(value_node), where));
        continue;
      }
      // Parse through the option's own store into a scratch Config, then keep the field.
      Config scratch;
      spec->store(scratch, *value);
      if (key.str() == "history_size") ns.history_size = scratch.history_size;
      if (key.str() == "history_ttl") ns.history_ttl = scratch.history_ttl;
      if (key.str() == "snapshot_ttl") ns.snapshot_ttl = scratch.snapshot_ttl;
      if (key.str() == "client_publish") ns.client_publish = scratch.client_publish;
      if (key.str() == "join_leave_events") ns.join_leave_events = scratch.join_leave_events;
    }
    config.namespaces.push_back(std::move(ns));
  }
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
    if (key.str() == "namespaces") {
      apply_namespaces(path, node, config, errors);
      continue;
    }
    if (key.str() == "ingress") {
      apply_ingress_tables(path, node, config, errors);
      continue;
    }
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
