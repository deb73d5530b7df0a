#include "session_opening.hpp"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <random>

#include "switchboard/http/request.hpp"

namespace switchboard::node {

std::string new_session_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::uint64_t hi = (rng() & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;
  const std::uint64_t lo = (rng() & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return buf;
}

std::string upgrade_token(const http::Request& request) {
  std::string_view authorization = request.header("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() > kBearer.size() &&
      authorization.substr(0, kBearer.size()) == kBearer) {
    return std::string(authorization.substr(kBearer.size()));
  }
  if (auto token = request.query_param("token")) return *token;
  if (auto token = request.cookie("token")) return *token;
  return {};
}

std::shared_ptr<const ForwardedHeaders> forwarded_headers(const http::Request& request,
                                                          const std::vector<std::string>& names) {
  if (names.empty()) return nullptr;
  auto headers = std::make_shared<ForwardedHeaders>();
  for (const std::string& name : names) {
    if (!request.has_header(name)) continue;
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    headers->emplace_back(std::move(lower), std::string(request.header(name)));
  }
  if (headers->empty()) return nullptr;
  return headers;
}

}  // namespace switchboard::node
