// amqp:// URLs. See amqp_url.hpp for the accepted forms.
#include "amqp_url.hpp"

#include <algorithm>
#include <cctype>

#include "switchboard/engine/url_parts.hpp"

namespace switchboard::engine::rabbitmq {
namespace {

constexpr std::string_view kExpected = "expected amqp://[user[:password]@]host[:port][/vhost]";

std::string parse(std::string_view text, AmqpEndpoint& ep) {
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return "missing scheme: " + std::string(kExpected);
  std::string scheme(text.substr(0, scheme_end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme == "amqps") return "TLS (amqps://) is not supported yet: use amqp:// on a trusted network";
  if (scheme != "amqp") return "unsupported scheme '" + scheme + "', " + std::string(kExpected);
  const auto rest = text.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return "query parameters and fragments are not supported (amqp_heartbeat and "
           "broker_timeout are options)";
  }
  const auto slash = rest.find('/');
  const auto authority = rest.substr(0, slash);
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const auto userinfo = authority.substr(0, at);
    const auto colon = userinfo.find(':');
    auto user = url::percent_decode(userinfo.substr(0, colon));
    auto password = colon == std::string_view::npos
                        ? std::optional<std::string>(std::string())
                        : url::percent_decode(userinfo.substr(colon + 1));
    if (!user || !password) return "bad percent-encoding in the credentials (%XX expected)";
    if (user->empty()) return "empty user name before '@'";
    ep.user = std::move(*user);
    ep.password = std::move(*password);
  }
  const auto host_port = at == std::string_view::npos ? authority : authority.substr(at + 1);
  if (auto error = url::parse_host_port(host_port, ep.host, ep.port, 5672); !error.empty()) {
    return error;
  }
  if (slash != std::string_view::npos) {
    const auto path = rest.substr(slash + 1);
    if (path == "/") return {};  // "amqp://h//": the default vhost, written out
    if (path.find('/') != std::string_view::npos) {
      return "the vhost '" + std::string(path) + "' contains '/': write it as %2f";
    }
    auto vhost = url::percent_decode(path);
    if (!vhost) return "bad percent-encoding in the vhost (%XX expected)";
    if (!vhost->empty()) ep.vhost = std::move(*vhost);
  }
  return {};
}

}  // namespace

std::string AmqpEndpoint::address() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) +
         (vhost == "/" ? std::string("/") : "/" + vhost);
}

AmqpUrlResult parse_amqp_url(std::string_view text) {
  const auto trimmed = url::trim(text);
  AmqpUrlResult result;
  if (trimmed.empty()) {
    result.error = "empty, " + std::string(kExpected);
  } else if (auto error = parse(trimmed, result.endpoint); !error.empty()) {
    result.error = "'" + url::masked(trimmed) + "': " + error;
  }
  return result;
}

}  // namespace switchboard::engine::rabbitmq
