#pragma once
// Files from a directory, over GET and HEAD: the demo and dashboard pages, or whatever a
// deployment puts in static_dir.
//
// What a request gets (docs/web.md, "Static files"):
//   a regular file under the root    200, its Content-Type by extension, an ETag and
//                                    Last-Modified; If-None-Match with that ETag → 304
//   a directory, path ends in '/'    its index.html (404 when it has none)
//   a directory, no trailing '/'     301 to the path with one (relative links then resolve)
//   a path with a "." or ".." segment, a NUL, a backslash or a bad %-escape   400 bad_path
//   anything else (missing, a symlink leading outside the root, not a regular file,
//   larger than max_file_size)       404
// HTML is sent with Cache-Control "no-cache" (revalidated, so a new deploy shows at once);
// everything else "public, max-age=<max_age>".
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "switchboard/http/request.hpp"
#include "switchboard/http/response.hpp"

namespace switchboard::http {

struct StaticFilesOptions {
  std::string root;        // the directory served
  std::string mount = "/";  // the URL path it is served under (starts and ends with '/')
  std::chrono::seconds max_age{3600};
  std::size_t max_file_size = 16 * 1024 * 1024;
};

// "text/html; charset=utf-8" for "index.html"; application/octet-stream when unknown.
std::string_view content_type_for(std::string_view file_name) noexcept;

// Thread safety: const after construction; serve() may run on every worker at once (it reads
// the file on the calling thread: these are small files, served from the page cache).
class StaticFiles {
 public:
  // Throws std::invalid_argument when `root` is not a readable directory.
  explicit StaticFiles(StaticFilesOptions options);

  // The answer to a GET (or HEAD, which the router derives from it) under the mount.
  Response serve(const Request& request) const;

  const std::string& root() const noexcept { return root_; }

 private:
  // The file's path below the root, from the request path; nullopt when the path is bad.
  std::optional<std::string> relative_path(std::string_view path) const;

  StaticFilesOptions options_;
  std::string root_;  // canonical, no trailing '/'
};

}  // namespace switchboard::http
