#pragma once
// How a Publication is stored in Redis (stream entries, offline lists) and carried between
// nodes (Redis Pub/Sub; RabbitMQ and NATS through the relay broker, src/engine/relay/).
//
// body     = "1" flags field(channel) field(type) field(payload) field(id) field(publisher_user)
//   "1"    format version (a node meeting another version refuses the message and counts it)
//   flags  one character '0' + (requires_ack | skip_publisher << 1 | ephemeral << 2 | raw << 3)
//   field  <decimal length> ':' <bytes>     (binary safe: payloads are JSON, ids are anything)
// positioned = <offset> ':' <epoch> ':' body     (offset 0 and an empty epoch: no history)
//
// The body leaves out offset and epoch because in a stream the entry ID is the offset and the
// meta hash holds the epoch; Pub/Sub messages get the position prefixed by the publish script,
// the only place that knows it (epochs never contain ':').
//
// Not carried: the idempotency key and its window (the publishing node's script checks them;
// no receiver needs them), nor `duplicate` (never delivered).
#include <optional>
#include <string>
#include <string_view>

#include "switchboard/engine/publication.hpp"

namespace switchboard::engine {

// One `field` (above): appends "<len>:<bytes>" to `out`; takes one from the front of `in`
// (false when `in` does not start with a whole field). Other stored values use it too.
void put_field(std::string& out, std::string_view value);
bool take_field(std::string_view& in, std::string& value);

std::string encode_body(const Publication& publication);
// nullopt when `body` is not a body of this version (truncated, foreign).
std::optional<Publication> decode_body(std::string_view body);

std::string encode_positioned(const Publication& publication);
std::optional<Publication> decode_positioned(std::string_view text);

}  // namespace switchboard::engine
