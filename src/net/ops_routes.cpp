#include "switchboard/net/ops_routes.hpp"

#include <array>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "switchboard/http/accept.hpp"
#include "switchboard/http/prometheus.hpp"
#include "switchboard/net/process_stats.hpp"
#include "switchboard/net/server.hpp"

namespace switchboard::net {
namespace {

// {"name":…, "status":"up"|"down", "error":…} per dependency; `all_up` tells whether all are,
// `required_up` whether all those the node cannot serve without are.
boost::json::array describe(const std::vector<Dependency>& deps, bool& all_up,
                            bool& required_up) {
  boost::json::array out;
  all_up = true;
  required_up = true;
  for (const auto& d : deps) {
    boost::json::object o{{"name", d.name}, {"status", d.up ? "up" : "down"}};
    if (!d.required) o["required"] = false;
    if (!d.up) {
      all_up = false;
      if (d.required) required_up = false;
      o["error"] = d.detail;
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

void add_ops_routes(Server& server, OpsHooks hooks) {
  auto& router = server.router();
  router.add("GET", "/", [](const http::Request&, http::Respond respond) {
    boost::json::object body{
        {"service", "switchboard"}, {"status", "ok"}, {"version", SWITCHBOARD_VERSION}};
    respond(http::Response::json(200, boost::json::serialize(body)));
  });
  // /health is the liveness answer: 200 while the process serves, "degraded" and the
  // dependencies that are down when one is (restarting the node would not bring Redis back).
  router.add("GET", "/health", [&server, hooks](const http::Request&, http::Respond respond) {
    bool all_up = true;
    bool required_up = true;
    boost::json::array deps = describe(hooks.dependencies ? hooks.dependencies()
                                                          : std::vector<Dependency>{},
                                       all_up, required_up);
    boost::json::object body{{"status", all_up ? "ok" : "degraded"},
                             {"connections", server.ws_connections()},
                             {"users", hooks.users ? hooks.users() : 0},
                             {"timestamp", iso8601_now()}};
    if (!deps.empty()) body["dependencies"] = std::move(deps);
    respond(http::Response::json(200, boost::json::serialize(body)));
  });
  // /ready is the load balancer's: 503 while draining, and while a required dependency is
  // down (the node could not publish, recover or route).
  router.add("GET", "/ready", [&server, hooks](const http::Request&, http::Respond respond) {
    const bool draining = server.draining();
    bool all_up = true;
    bool required_up = true;
    boost::json::array deps = describe(hooks.dependencies ? hooks.dependencies()
                                                          : std::vector<Dependency>{},
                                       all_up, required_up);
    const char* status = draining ? "draining" : required_up ? "ready" : "unavailable";
    boost::json::object body{{"status", status}};
    if (!deps.empty()) body["dependencies"] = std::move(deps);
    respond(http::Response::json(draining || !required_up ? 503 : 200,
                                 boost::json::serialize(body)));
  });
  // Prometheus text, unless the client prefers JSON (seed 002's dashboard read /metrics as
  // JSON) or stats_path is /metrics itself, which makes JSON the answer to no preference.
  const bool json_first = hooks.stats && server.config().stats_path == "/metrics";
  router.add("GET", "/metrics", [&server, stats = hooks.stats, json_first](
                                    const http::Request& request, http::Respond respond) {
    constexpr std::array<std::string_view, 2> kTextFirst{"text/plain", "application/json"};
    constexpr std::array<std::string_view, 2> kJsonFirst{"application/json", "text/plain"};
    const std::string_view accept = request.header("Accept");
    const bool json = stats && (json_first ? http::negotiate(accept, kJsonFirst) == 0
                                           : http::negotiate(accept, kTextFirst) == 1);
    // The answer depends on Accept: a cache must not hand one client's format to another.
    auto vary = [respond = std::move(respond)](http::Response response) {
      response.headers.emplace_back("Vary", "Accept");
      respond(std::move(response));
    };
    if (json) return stats(request, std::move(vary));
    http::Response response;
    response.content_type = std::string(http::PrometheusWriter::kContentType);
    response.body = metrics_text(server);
    vary(std::move(response));
  });
  if (hooks.stats && server.config().stats_path != "/metrics") {
    router.add("GET", server.config().stats_path, hooks.stats);
  }
}

std::string iso8601_now() {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

std::string metrics_text(const Server& server) {
  http::PrometheusWriter out;
  server.write_metrics(out);
  out.family("process_resident_memory_bytes", "gauge", "Resident set size in bytes.");
  out.sample("process_resident_memory_bytes", resident_memory_bytes());
  return out.text();
}

}  // namespace switchboard::net
