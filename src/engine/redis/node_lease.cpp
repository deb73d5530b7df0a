// The claim on a node id. See node_lease.hpp.
#include "node_lease.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace switchboard::engine::redis {
namespace {

// KEYS[1] the node's key; ARGV[1] our token, ARGV[2] ttl ms. 1: ours (set or refreshed),
// 0: another instance holds it.
constexpr const char* kClaimScript = R"lua(
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
)lua";

// KEYS[1] the node's key; ARGV[1] our token. Deletes it only if it is ours.
constexpr const char* kReleaseScript = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

}  // namespace

NodeLease::NodeLease(RedisContext& context, std::string node_id,
                     std::atomic<std::uint64_t>& conflicts)
    : context_(context),
      node_id_(std::move(node_id)),
      key_(context.key("nd", node_id_)),
      token_(new_epoch() + new_epoch()),
      shard_(context.shard_for(node_id_)),
      claim_script_(kClaimScript),
      release_script_(kReleaseScript),
      timer_(context.executor()),
      conflicts_(conflicts) {
  context_.preload({claim_script_, release_script_});
}

void NodeLease::claim(std::function<void(Claim)> done) {
  const std::string ttl = std::to_string(kTtl.count());
  const std::string_view keys[] = {key_};
  const std::string_view args[] = {token_, ttl};
  context_.run_script(
      shard_, claim_script_, keys, args,
      [self = shared_from_this(), done = std::move(done)](std::error_code ec, RedisReply reply) {
        if (self->released_) return;
        if (ec || reply.type != RedisReply::Type::integer) {
          if (ec == RedisErrc::error_reply) {
            spdlog::error("redis: node id claim refused: {}", reply.str);
          }
          return done(Claim::failed);
        }
        done(reply.integer == 1 ? Claim::ours : Claim::taken);
      });
}

void NodeLease::keep() {
  schedule();
}

void NodeLease::schedule() {
  timer_.expires_after(kTtl / 3);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->released_) return;
    self->claim([self](Claim claim) {
      if (claim == Claim::taken) {
        const auto n = ++self->conflicts_;
        spdlog::error("redis: node id {} is held by another process ({} conflicts)", self->node_id_,
                      n);
      }
    });
    self->schedule();
  });
}

void NodeLease::release() {
  if (released_) return;
  released_ = true;
  timer_.cancel();
  const std::string_view keys[] = {key_};
  const std::string_view args[] = {token_};
  context_.run_script(shard_, release_script_, keys, args, nullptr);
}

}  // namespace switchboard::engine::redis
