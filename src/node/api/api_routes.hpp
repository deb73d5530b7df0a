#pragma once
// The server API (HTTP, `Authorization: apikey <key>`): publish, broadcast, send to a user,
// presence, channels, users, disconnect, snapshots. docs/protocol.md documents each call.
#include "switchboard/http/router.hpp"

namespace switchboard::node {

class Node;

void add_api_routes(Node& node);

// `handler` behind the API key: 401 `unauthorized` without `Authorization: apikey <key>`, 403
// `api_disabled` when the server has no api_key.
http::Handler with_api_key(const Node& node, http::Handler handler);

}  // namespace switchboard::node
