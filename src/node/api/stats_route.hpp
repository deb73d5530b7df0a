#pragma once
// The JSON statistics, in the shape seed 002's monitoring reads from GET /metrics:
//   {"totalConnections":42,"totalUsers":35,"usersList":[1,5,10],"usersListOmitted":0,
//    "uptime":3600,"memory":{"rss":…,"heapTotal":…,"heapUsed":…},"timestamp":"…Z"}
// for this node: its WebSocket connections, its users (at most stats_users_limit listed,
// sorted; an id written in decimal digits as a JSON number, as seed 002's were, any other as a
// string), seconds since the gateway started, the process's RSS and C heap. Behind the API key
// when one is set (the list names users); open like /metrics when none is. Served at
// stats_path and by GET /metrics to a client that prefers JSON (net/ops_routes.hpp).
#include "switchboard/http/router.hpp"

namespace switchboard::node {

class Node;

http::Handler make_stats_handler(const Node& node);

}  // namespace switchboard::node
