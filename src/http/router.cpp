// Route matching: exact paths win over prefixes, and a longer prefix over a shorter one.
#include "switchboard/http/router.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>

namespace switchboard::http {
namespace {

constexpr std::string_view kHead = "HEAD";
constexpr std::string_view kGet = "GET";

// A HEAD answer has the GET answer's headers and no body (RFC 9110 §9.3.2). The length of
// the body it would have had goes in as an extra Content-Length, which render() honours.
Respond head_responder(Respond respond) {
  return [respond = std::move(respond)](Response response) {
    if (!response.body.empty()) {
      response.headers.emplace_back("Content-Length", std::to_string(response.body.size()));
      response.body.clear();
    }
    respond(std::move(response));
  };
}

}  // namespace

void Router::add(std::string method, std::string path, Handler handler) {
  Route route{std::move(method), std::move(path), false, std::move(handler)};
  if (!route.path.empty() && route.path.back() == '*') {
    route.path.pop_back();
    route.prefix = true;
  }
  routes_.push_back(std::move(route));
}

void Router::dispatch(const Request& request, Respond respond) const {
  const std::string_view path = request.path();
  const auto matches = [&](const Route& route) {
    return route.prefix ? path.starts_with(route.path) : path == route.path;
  };
  // Exact routes first, then prefixes by length; registration order breaks ties.
  const auto specificity = [](const Route& route) {
    return route.prefix ? route.path.size() : std::numeric_limits<std::size_t>::max();
  };
  const auto find = [&](std::string_view method) -> const Route* {
    const Route* best = nullptr;
    for (const Route& route : routes_) {
      if (route.method != method || !matches(route)) continue;
      if (best == nullptr || specificity(route) > specificity(*best)) best = &route;
    }
    return best;
  };

  if (const Route* route = find(request.method)) {
    route->handler(request, std::move(respond));
    return;
  }
  if (request.method == kHead) {
    if (const Route* route = find(kGet)) {
      route->handler(request, head_responder(std::move(respond)));
      return;
    }
  }
  std::vector<std::string_view> methods;
  for (const Route& route : routes_) {
    if (matches(route) &&
        std::find(methods.begin(), methods.end(), route.method) == methods.end()) {
      methods.push_back(route.method);
    }
  }
  if (methods.empty()) {
    respond(Response::error(404, "not_found", "no such resource"));
    return;
  }
  std::string allow;
  for (const std::string_view method : methods) {
    if (!allow.empty()) allow += ", ";
    allow += method;
  }
  Response response = Response::error(405, "method_not_allowed", "method not allowed");
  response.headers.emplace_back("Allow", std::move(allow));
  respond(std::move(response));
}

}  // namespace switchboard::http
