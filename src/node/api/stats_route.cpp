#include "stats_route.hpp"

#include <boost/json.hpp>
#include <chrono>

#include "api_routes.hpp"
#include "node.hpp"
#include "switchboard/net/ops_routes.hpp"
#include "switchboard/net/process_stats.hpp"
#include "user_id_order.hpp"

namespace switchboard::node {
namespace {

boost::json::value user_id_value(const std::string& id) {
  if (const auto n = numeric_user_id(id)) return *n;
  return boost::json::string(id);
}

}  // namespace

http::Handler make_stats_handler(const Node& node) {
  const auto started = std::chrono::steady_clock::now();
  http::Handler stats = [&node, started](const http::Request&, http::Respond respond) {
    const Node::UserSample users = node.user_sample(node.config().stats_users_limit);
    boost::json::array list;
    list.reserve(users.ids.size());
    for (const auto& id : users.ids) list.push_back(user_id_value(id));
    const net::HeapUsage heap = net::heap_usage();
    const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::steady_clock::now() - started);
    boost::json::object body{
        {"totalConnections", users.connections},
        {"totalUsers", users.total},
        {"usersList", std::move(list)},
        {"usersListOmitted", users.total - users.ids.size()},
        {"uptime", uptime.count()},
        {"memory", {{"rss", net::resident_memory_bytes()},
                    {"heapTotal", heap.total},
                    {"heapUsed", heap.used}}},
        {"timestamp", net::iso8601_now()}};
    respond(http::Response::json(200, boost::json::serialize(body)));
  };
  if (node.config().api_key.empty()) return stats;
  return with_api_key(node, std::move(stats));
}

}  // namespace switchboard::node
