#pragma once
// The server API (HTTP, `Authorization: apikey <key>`): publish, broadcast, send to a user,
// presence, channels, users, disconnect, snapshots. docs/protocol.md documents each call.
namespace switchboard::node {

class Node;

void add_api_routes(Node& node);

}  // namespace switchboard::node
