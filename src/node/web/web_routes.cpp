#include "web_routes.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <memory>
#include <stdexcept>

#include "demo_tokens.hpp"
#include "metrics_stream_endpoint.hpp"
#include "node.hpp"
#include "switchboard/http/static_files.hpp"
#include "switchboard/net/server.hpp"

namespace switchboard::node {
namespace {

bool holds_pages(const std::string& dir) {
  struct stat st{};
  return !dir.empty() && ::stat((dir + "/demo/index.html").c_str(), &st) == 0 &&
         ::stat((dir + "/dashboard/index.html").c_str(), &st) == 0;
}

std::string executable_dir() {
  char path[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return {};
  std::string exe(path, static_cast<std::size_t>(n));
  return exe.substr(0, exe.rfind('/'));
}

}  // namespace

std::string builtin_web_dir() {
  if (const std::string exe = executable_dir(); !exe.empty()) {
    const std::string installed = exe + "/../share/switchboard/web";
    if (holds_pages(installed)) return installed;
  }
  if (holds_pages(SWITCHBOARD_BUILD_WEB_DIR)) return SWITCHBOARD_BUILD_WEB_DIR;
  return {};
}

void add_web_routes(Node& node) {
  net::Server& server = node.server();
  const config::Config& c = server.config();
  // Always there: without api_key it answers the upgrade 403, saying why.
  server.add_endpoint(std::string(kMetricsStreamPath), make_metrics_stream_endpoint(server));
  std::string root = c.static_dir;
  if (root.empty() && c.demo) {
    root = builtin_web_dir();
    if (root.empty()) {
      throw std::invalid_argument(
          "demo: the built-in pages are not built (scripts/build.sh builds them with npm's "
          "esbuild), and static_dir is not set");
    }
  }
  if (!root.empty()) {
    http::StaticFilesOptions options;
    options.root = root;
    options.max_age = std::chrono::duration_cast<std::chrono::seconds>(c.static_max_age);
    auto files = std::make_shared<const http::StaticFiles>(std::move(options));
    server.router().add("GET", "/*", [files](const http::Request& request, http::Respond respond) {
      respond(files->serve(request));
    });
    spdlog::info("static files from {}", files->root());
  }
  if (!c.demo) return;
  server.router().add("POST", "/demo/token", [&c](const http::Request& request,
                                                  http::Respond respond) {
    respond(demo_token(c, request.body, std::chrono::system_clock::now()));
  });
  const std::string base = "http://localhost:" + std::to_string(c.port);
  // Demo mode is never a production node: its dashboard link may carry the key.
  spdlog::warn("demo mode: anyone can get a token for any user at POST /demo/token — never "
               "expose it. Demo: {}/demo/  Dashboard: {}/dashboard/#key={}",
               base, base, c.api_key);
}

}  // namespace switchboard::node
