#pragma once
// The names the RabbitMQ transport (rabbitmq_transport.hpp) gives its objects: the node queue
// `<prefix>.node.<id>`, the routing keys `n.<id>` (a node's mailbox) and `c.<channel>` (a
// channel) — or `h.<64 hex digits>`, the SHA-256 of the channel, when `c.<channel>` is over
// AMQP's 255-byte limit of a short string (the message carries its channel, so the receiver
// loses nothing; two channels sharing a hash would only both be delivered to, and then told
// apart by the relay broker's decoding).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::engine::rabbitmq {

inline constexpr std::size_t kMaxShortString = 255;  // routing keys, queue and exchange names

std::string channel_routing_key(std::string_view channel);
std::string node_routing_key(std::string_view node_id);  // "n.<id>"; check its size
std::string node_queue_name(std::string_view prefix, std::string_view node_id);
// A routing key of a node's mailbox, not a channel's.
bool is_node_routing_key(std::string_view routing_key) noexcept;
// Why `prefix` cannot name the exchange and the node queues (empty, over kMaxPrefix bytes so
// that ".node.<id>" no longer fits, or RabbitMQ's reserved `amq.`), or nullopt. The
// configuration checks broker_prefix with it.
inline constexpr std::size_t kMaxPrefix = 200;
std::optional<std::string> prefix_problem(std::string_view prefix);

}  // namespace switchboard::engine::rabbitmq
