// RedisNodeRegistry: user → ZSET of node leases. See redis_node_registry.hpp.
#include "redis_node_registry.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store_call.hpp"
#include "store_scripts.hpp"

namespace switchboard::engine::redis {


namespace {

std::optional<std::vector<std::string>> parse_nodes(RedisReply& reply) {
  std::vector<std::string> nodes;
  nodes.reserve(reply.elements.size());
  for (auto& e : reply.elements) nodes.push_back(std::move(e.str));
  return nodes;
}

}  // namespace

struct RedisNodeRegistry::Shared {
  explicit Shared(RedisContext* c) : context(c) {}
  RedisContext* context;  // outlives every call (store_call.hpp)
  RedisScript refresh{scripts::zset_refresh()};
};

RedisNodeRegistry::RedisNodeRegistry(std::shared_ptr<RedisContext> context)
    : context_(std::move(context)), shared_(std::make_shared<Shared>(context_.get())) {
  context_->preload({shared_->refresh});
}

RedisNodeRegistry::~RedisNodeRegistry() = default;

void RedisNodeRegistry::register_user(std::string_view user_id, std::string_view node_id,
                                      std::chrono::milliseconds ttl, Completion done) {
  const std::int64_t expiry = context_->now_ms() + ttl.count();
  post_call(*context_, std::move(done),
            [s = shared_, user = std::string(user_id), node = std::string(node_id), expiry,
             ttl](Completion on_done) {
              RedisContext& ctx = *s->context;
              store_detail::refresh_member(ctx, s->refresh, ctx.shard_for(user),
                                           ctx.key("ru", user), node, expiry, ttl,
                                           std::move(on_done), "registry register_user");
            });
}

void RedisNodeRegistry::unregister_user(std::string_view user_id, std::string_view node_id,
                                        Completion done) {
  post_call(
      *context_, std::move(done),
      [s = shared_, user = std::string(user_id), node = std::string(node_id)](Completion on_done) {
        RedisContext& ctx = *s->context;
        ctx.command(
            ctx.shard_for(user), {"ZREM", ctx.key("ru", user), node},
            store_detail::mutation_done(ctx, std::move(on_done), "registry unregister_user"));
      });
}

void RedisNodeRegistry::nodes_of(std::string_view user_id,
                                 ResultCallback<std::vector<std::string>> done) {
  const std::int64_t now = context_->now_ms();
  post_call(*context_, std::move(done),
            [s = shared_, user = std::string(user_id),
             now](ResultCallback<std::vector<std::string>> on_done) {
              RedisContext& ctx = *s->context;
              const std::size_t shard = ctx.shard_for(user);
              const std::string key = ctx.key("ru", user);
              const std::string now_text = std::to_string(now);
              // Pipelined: the expired leases go, then the live ones are read.
              ctx.command(shard, {"ZREMRANGEBYSCORE", key, "-inf", now_text}, nullptr);
              ctx.command(shard, {"ZRANGEBYSCORE", key, "(" + now_text, "+inf"},
                          store_detail::result_done(ctx, std::move(on_done), "registry nodes_of",
                                                    RedisReply::Type::array, parse_nodes));
            });
}

}  // namespace switchboard::engine::redis
