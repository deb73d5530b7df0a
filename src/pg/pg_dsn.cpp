#include "pg_dsn.hpp"

#include <libpq-fe.h>

namespace switchboard::pg {

std::optional<std::string> dsn_problem(const std::string& dsn) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &error);
  if (options != nullptr) {
    PQconninfoFree(options);
    return std::nullopt;
  }
  std::string message = error != nullptr ? error : "cannot be parsed (out of memory)";
  PQfreemem(error);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  return message;
}

std::vector<std::pair<std::string, std::string>> dsn_parameters(const std::string& dsn) {
  std::vector<std::pair<std::string, std::string>> out;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), nullptr);
  if (options == nullptr) return out;
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val != nullptr) out.emplace_back(o->keyword, o->val);
  }
  PQconninfoFree(options);
  return out;
}

std::string dsn_label(const std::string& dsn) {
  std::string host = "localhost";
  std::string port = "5432";
  std::string dbname;
  for (const auto& [key, value] : dsn_parameters(dsn)) {
    if (key == "host" && !value.empty()) host = value;
    if (key == "hostaddr" && !value.empty() && host == "localhost") host = value;
    if (key == "port" && !value.empty()) port = value;
    if (key == "dbname") dbname = value;
  }
  return host + ":" + port + (dbname.empty() ? "" : "/" + dbname);
}

}  // namespace switchboard::pg
