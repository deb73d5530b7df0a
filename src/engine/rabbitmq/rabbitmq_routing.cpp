// The transport's queue names and routing keys. See rabbitmq_routing.hpp.
#include "rabbitmq_routing.hpp"

#include <openssl/evp.h>

namespace switchboard::engine::rabbitmq {
namespace {

std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

}  // namespace

std::string channel_routing_key(std::string_view channel) {
  if (channel.size() + 2 > kMaxShortString) return "h." + sha256_hex(channel);
  std::string key;
  key.reserve(channel.size() + 2);
  key.append("c.").append(channel);
  return key;
}

std::string node_routing_key(std::string_view node_id) {
  return std::string("n.").append(node_id);
}

std::string node_queue_name(std::string_view prefix, std::string_view node_id) {
  return std::string(prefix).append(".node.").append(node_id);
}

bool is_node_routing_key(std::string_view routing_key) noexcept {
  return routing_key.starts_with("n.");
}

std::optional<std::string> prefix_problem(std::string_view prefix) {
  // RabbitMQ reserves `amq.` names; the prefix also names every node queue.
  if (prefix.empty() || prefix.size() > kMaxPrefix || prefix.starts_with("amq.")) {
    return "the prefix must be 1 to " + std::to_string(kMaxPrefix) +
           " bytes and not start with 'amq.'";
  }
  return std::nullopt;
}

}  // namespace switchboard::engine::rabbitmq
