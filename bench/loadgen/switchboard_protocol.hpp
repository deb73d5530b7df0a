// Switchboard's native protocol: each connection authenticates with its own HS256 JWT (user
// "bench-<n>"), subscribes to one channel, and receives the channel's events as JSON
// envelopes; a publish is a client `publish` of the payload as a JSON string. This is what the
// gateway costs over the raw /broadcast endpoint: authentication, the envelope, a channel.
//
// Server flags it needs: --jwt-secret S --public-channels <channel> --client-publish
// and rate limits above the publish rate (see bench/compare).
#pragma once

#include <atomic>
#include <string>

#include "protocol.hpp"

namespace switchboard::bench {

class SwitchboardProtocol final : public Protocol {
 public:
  SwitchboardProtocol(std::string jwt_secret, std::string channel);

  std::string_view name() const override { return "switchboard"; }
  std::string request_target(std::string_view path) const override;
  std::uint8_t on_open(MessageSink& sink) const override;
  ProtocolEvent on_message(std::uint8_t& phase, std::string_view message,
                           MessageSink& sink) const override;
  void append_publish(std::string& out, std::string_view payload) const override;

  // An HS256 token for `user` (exp one day ahead). Public for tests.
  std::string token(std::string_view user) const;

 private:
  std::string secret_;
  std::string channel_;
  mutable std::atomic<std::uint64_t> next_user_{0};
};

}  // namespace switchboard::bench
