#include "switchboard/http/static_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <stdexcept>

#include "switchboard/http/url.hpp"
#include "text.hpp"

namespace switchboard::http {
namespace {

struct TypeByExtension {
  std::string_view extension;
  std::string_view type;
};

constexpr std::array kTypes{
    TypeByExtension{"html", "text/html; charset=utf-8"},
    TypeByExtension{"htm", "text/html; charset=utf-8"},
    TypeByExtension{"js", "text/javascript; charset=utf-8"},
    TypeByExtension{"mjs", "text/javascript; charset=utf-8"},
    TypeByExtension{"css", "text/css; charset=utf-8"},
    TypeByExtension{"json", "application/json"},
    TypeByExtension{"map", "application/json"},
    TypeByExtension{"txt", "text/plain; charset=utf-8"},
    TypeByExtension{"svg", "image/svg+xml"},
    TypeByExtension{"png", "image/png"},
    TypeByExtension{"jpg", "image/jpeg"},
    TypeByExtension{"jpeg", "image/jpeg"},
    TypeByExtension{"gif", "image/gif"},
    TypeByExtension{"webp", "image/webp"},
    TypeByExtension{"ico", "image/x-icon"},
    TypeByExtension{"woff", "font/woff"},
    TypeByExtension{"woff2", "font/woff2"},
    TypeByExtension{"wasm", "application/wasm"},
    TypeByExtension{"xml", "application/xml"},
    TypeByExtension{"pdf", "application/pdf"},
};

bool is_html(std::string_view type) noexcept { return type.starts_with("text/html"); }

// Strong validator from what changes when the file does: its size and modification time.
std::string etag_of(const struct stat& st) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "\"%llx-%llx\"", static_cast<unsigned long long>(st.st_size),
                static_cast<unsigned long long>(st.st_mtim.tv_sec) * 1000000000ULL +
                    static_cast<unsigned long long>(st.st_mtim.tv_nsec));
  return buf;
}

// RFC 9110 §5.6.7 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

// If-None-Match: "*" or a list of entity tags, any of which may be weak (W/"...").
bool matches_etag(std::string_view header, std::string_view etag) {
  if (text::trim(header) == "*") return true;
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view tag = text::trim(header.substr(0, comma));
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

bool valid_escapes(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') continue;
    if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      return false;
    }
  }
  return true;
}

Response not_found() { return Response::error(404, "not_found", "no such file"); }

// The file's bytes, when it is a regular file of at most `limit` bytes; `st` its status.
std::optional<std::string> read_regular(const std::string& path, std::size_t limit,
                                        struct stat& st) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  std::optional<std::string> out;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<std::size_t>(st.st_size) <= limit) {
    std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < bytes.size()) {
      const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (got == bytes.size()) out = std::move(bytes);
  }
  ::close(fd);
  return out;
}

}  // namespace

std::string_view content_type_for(std::string_view file_name) noexcept {
  const auto dot = file_name.rfind('.');
  if (dot == std::string_view::npos || file_name.find('/', dot) != std::string_view::npos) {
    return "application/octet-stream";
  }
  const std::string_view extension = file_name.substr(dot + 1);
  for (const auto& t : kTypes) {
    if (text::iequals(t.extension, extension)) return t.type;
  }
  return "application/octet-stream";
}

StaticFiles::StaticFiles(StaticFilesOptions options) : options_(std::move(options)) {
  char resolved[PATH_MAX];
  struct stat st{};
  if (::realpath(options_.root.c_str(), resolved) == nullptr || ::stat(resolved, &st) != 0 ||
      !S_ISDIR(st.st_mode)) {
    throw std::invalid_argument("static files: " + options_.root + " is not a directory");
  }
  root_ = resolved;
  if (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  if (options_.mount.empty() || options_.mount.front() != '/') options_.mount.insert(0, "/");
  if (options_.mount.back() != '/') options_.mount += '/';
}

std::optional<std::string> StaticFiles::relative_path(std::string_view path) const {
  if (!path.starts_with(options_.mount) || !valid_escapes(path)) return std::nullopt;
  const std::string decoded = percent_decode(path.substr(options_.mount.size()));
  if (decoded.find('\0') != std::string::npos || decoded.find('\\') != std::string::npos) {
    return std::nullopt;
  }
  // Every segment a name: no "." or "..", no empty segment but a final one (the directory's).
  std::string_view rest = decoded;
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    if (segment == "." || segment == ".." || (segment.empty() && slash != std::string_view::npos)) {
      return std::nullopt;
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return decoded;
}

Response StaticFiles::serve(const Request& request) const {
  const std::string_view path = request.path();
  const auto relative = relative_path(path);
  if (!relative) {
    // The mount itself without its slash ("/demo" for "/demo/") is a directory redirect.
    if (path.size() + 1 == options_.mount.size() && options_.mount.starts_with(path)) {
      Response moved;
      moved.status = 301;
      moved.content_type.clear();
      moved.headers.emplace_back("Location", options_.mount);
      return moved;
    }
    return Response::error(400, "bad_path", "the path names no file under the static root");
  }
  std::string file = root_ + "/" + *relative;
  struct stat st{};
  if (::stat(file.c_str(), &st) != 0) return not_found();
  if (S_ISDIR(st.st_mode)) {
    if (!relative->empty() && relative->back() != '/') {
      Response moved;
      moved.status = 301;
      moved.content_type.clear();
      std::string location(path);
      location += '/';
      if (const auto q = request.target.find('?'); q != std::string::npos) {
        location += request.target.substr(q);
      }
      moved.headers.emplace_back("Location", std::move(location));
      return moved;
    }
    file += "index.html";
  }
  // A symlink may point anywhere: what is served must resolve to a path under the root.
  char resolved[PATH_MAX];
  if (::realpath(file.c_str(), resolved) == nullptr) return not_found();
  const std::string_view real(resolved);
  if (!real.starts_with(root_) || real.size() <= root_.size() || real[root_.size()] != '/') {
    return not_found();
  }
  auto bytes = read_regular(resolved, options_.max_file_size, st);
  if (!bytes) return not_found();

  Response response;
  response.content_type = std::string(content_type_for(real));
  const std::string etag = etag_of(st);
  response.headers.emplace_back("ETag", etag);
  response.headers.emplace_back("Last-Modified", http_date(st.st_mtim.tv_sec));
  response.headers.emplace_back(
      "Cache-Control", is_html(response.content_type)
                           ? std::string("no-cache")
                           : "public, max-age=" + std::to_string(options_.max_age.count()));
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (const auto inm = request.header("If-None-Match"); !inm.empty() && matches_etag(inm, etag)) {
    response.status = 304;
    return response;
  }
  response.body = std::move(*bytes);
  return response;
}

}  // namespace switchboard::http
