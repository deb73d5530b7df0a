#pragma once
// The gateway's web pages on its HTTP port (docs/web.md): static files from static_dir or,
// with demo on and no static_dir, the built-in pages (the demo chat at /demo/, the
// dashboard at /dashboard/); POST /demo/token with demo on; the dashboard's metrics stream
// (answering 403 while api_key is unset).
#include <string>

namespace switchboard::node {

class Node;

// Throws std::invalid_argument when static_dir is not a directory, or when demo is on and the
// built-in pages are nowhere to be found.
void add_web_routes(Node& node);

// Where the built-in pages are: <the executable's directory>/../share/switchboard/web (an
// installed server), else the build tree's web output; empty when neither holds them.
std::string builtin_web_dir();

}  // namespace switchboard::node
