#pragma once
// A PostgreSQL connection string (postgres_url, DATABASE_URL, POSTGRES_DSN, a rule's url) as
// libpq reads it: a URI (postgres://user:password@host:5432/db?sslmode=disable) or key=value
// pairs (host=… dbname=…). Parsed with PQconninfoParse, so that what the configuration check
// accepts is exactly what the connection will use.
//
// Thread safety: pure functions.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::pg {

// Why libpq cannot read `dsn` (its own message, trimmed), or nullopt.
std::optional<std::string> dsn_problem(const std::string& dsn);

// The keyword/value pairs `dsn` sets (empty when it cannot be parsed).
std::vector<std::pair<std::string, std::string>> dsn_parameters(const std::string& dsn);

// "host:port/dbname" without user or password, for logs, /health and metric labels; libpq's
// defaults (the Unix socket, port 5432, the user's name) where the DSN says nothing.
std::string dsn_label(const std::string& dsn);

}  // namespace switchboard::pg
