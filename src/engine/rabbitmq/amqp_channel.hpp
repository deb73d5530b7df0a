#pragma once
// What consumers and the publisher share when they set up a channel of their own: the
// channel opened, an exchange (or queue) declared as DeclareMode says, and each RPC's reply
// as a ChannelSetup — synchronous calls on the connection's thread.
//
// declare: automatic — as it exists, declared passively; when the server answers 404 it is
// created (so what a broker crash lost is declared again on the next connect). passive — it
// must exist (404 → the channel's user is down, and tried again). create — declared with our
// arguments (406 PRECONDITION_FAILED when it exists with others).
//
// Thread safety: the connection's thread only.
#include <amqp.h>

#include <cstdint>
#include <string>

namespace switchboard::engine::rabbitmq {

enum class DeclareMode : std::uint8_t { automatic, passive, create };

// The outcome of a setup: empty `error` when done; else why not, and whether the connection
// itself is gone (then the caller reconnects; else only the channel closed, and the caller
// tries again later on the same channel number).
struct ChannelSetup {
  std::string error;
  bool connection_lost = false;
  int code = 0;  // the server's reply code (404, 406, 403…), 0 for a library error
};

amqp_bytes_t bytes_of(const std::string& s);

// The reply of the last RPC on `channel` as a setup outcome ("<what> '<name>': <reply>"). A
// channel the server closed is answered with close-ok, so that it can be reopened.
ChannelSetup setup_outcome(amqp_connection_state_t conn, amqp_channel_t channel,
                           const char* what, const std::string& name);

// channel.open, then basic.qos when `prefetch` is not 0.
ChannelSetup open_channel(amqp_connection_state_t conn, amqp_channel_t channel,
                          std::uint16_t prefetch);

// Declares as `mode` says through declare_call(passive): passively first unless `create`;
// on 404 with `automatic` the channel (closed by the 404) is opened again and it is created.
// The channel is open afterwards when the error is empty.
template <typename DeclareCall>
ChannelSetup declare(amqp_connection_state_t conn, amqp_channel_t channel, DeclareMode mode,
                     std::uint16_t prefetch, const char* what, const std::string& name,
                     DeclareCall declare_call) {
  constexpr int kNotFound = 404;
  if (mode != DeclareMode::create) {
    declare_call(true);
    auto passive = setup_outcome(conn, channel, what, name);
    if (passive.error.empty() || mode == DeclareMode::passive || passive.connection_lost ||
        passive.code != kNotFound) {
      return passive;
    }
    if (auto s = open_channel(conn, channel, prefetch); !s.error.empty()) return s;
  }
  declare_call(false);
  return setup_outcome(conn, channel, what, name);
}

// exchange.declare of `exchange` (of `type`; `durable` when we create it) through declare().
ChannelSetup declare_exchange(amqp_connection_state_t conn, amqp_channel_t channel,
                              DeclareMode mode, std::uint16_t prefetch,
                              const std::string& exchange, const std::string& type,
                              bool durable);

// Answers a server's channel.close on `channel` (close-ok), so that the number can be opened
// again. False when the connection is gone.
bool acknowledge_channel_close(amqp_connection_state_t conn, amqp_channel_t channel);

}  // namespace switchboard::engine::rabbitmq
