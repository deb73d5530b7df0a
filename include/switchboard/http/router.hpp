#pragma once
// Maps method and path to a handler. Handlers answer through a Respond callback so that a
// later handler (server API, presence lookups in a remote store) can answer asynchronously.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/http/request.hpp"
#include "switchboard/http/response.hpp"

namespace switchboard::http {

// Must be called exactly once, from any thread: an answer given on another thread (an engine
// completion) is posted back to the worker that received the request, which writes it (or
// drops it, if the connection is gone by then). Copies may be destroyed on any thread.
using Respond = std::function<void(Response)>;
using Handler = std::function<void(const Request&, Respond)>;

// Thread safety: built at start-up, then only read (dispatch is const), so one Router may
// serve every worker.
class Router {
 public:
  // `path` is matched exactly, or as a prefix when it ends in '*' ("/api/users/*").
  void add(std::string method, std::string path, Handler handler);
  // Calls the matching handler; answers 404 {"error":...} for an unknown path and 405 with an
  // Allow header for a known path with another method.
  void dispatch(const Request& request, Respond respond) const;

 private:
  struct Route {
    std::string method;
    std::string path;
    bool prefix = false;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace switchboard::http
