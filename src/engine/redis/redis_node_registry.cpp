// RedisNodeRegistry: user → ZSET of connection leases. See redis_node_registry.hpp.
#include "redis_node_registry.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "switchboard/engine/publication_codec.hpp"
#include "store_call.hpp"
#include "store_scripts.hpp"

namespace switchboard::engine::redis {


namespace {

// The ZSET member of a lease: the node length-prefixed, so no node id or connection id can
// make two leases collide.
std::string lease_member(const ConnectionLease& lease) {
  std::string member;
  put_field(member, lease.node_id);
  member.append(lease.connection_id);
  return member;
}

// The nodes of the live leases, each once; members that do not decode are skipped, counted.
std::optional<std::vector<std::string>> parse_nodes(RedisReply& reply,
                                                    std::atomic<std::uint64_t>& undecodable) {
  std::vector<std::string> nodes;
  for (const auto& e : reply.elements) {
    std::string_view member = e.str;
    std::string node;
    if (!take_field(member, node)) {
      undecodable.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (std::find(nodes.begin(), nodes.end(), node) == nodes.end())
      nodes.push_back(std::move(node));
  }
  return nodes;
}

std::optional<Admission> parse_admission(RedisReply& reply) {
  if (reply.elements.size() != 2 || reply.elements[1].integer < 0) return std::nullopt;
  return Admission{reply.elements[0].integer == 1,
                   static_cast<std::size_t>(reply.elements[1].integer)};
}

}  // namespace

struct RedisNodeRegistry::Shared {
  explicit Shared(RedisContext* c) : context(c) {}
  RedisContext* context;  // outlives every call (store_call.hpp)
  RedisScript add{scripts::registry_add()};
  std::atomic<std::uint64_t> undecodable{0};
};

RedisNodeRegistry::RedisNodeRegistry(std::shared_ptr<RedisContext> context)
    : context_(std::move(context)), shared_(std::make_shared<Shared>(context_.get())) {
  context_->preload({shared_->add});
}

RedisNodeRegistry::~RedisNodeRegistry() = default;

void RedisNodeRegistry::add_connection(std::string_view user_id, const ConnectionLease& lease,
                                       std::chrono::milliseconds ttl, std::size_t limit,
                                       ResultCallback<Admission> done) {
  const std::int64_t now = context_->now_ms();
  post_call(*context_, std::move(done),
            [s = shared_, user = std::string(user_id), member = lease_member(lease), now, ttl,
             limit](ResultCallback<Admission> on_done) {
              RedisContext& ctx = *s->context;
              ctx.run_script(
                  ctx.shard_for(user), s->add, {ctx.key("rc", user)},
                  {member, std::to_string(now + ttl.count()), ctx.gc_ttl_text(ttl),
                   std::to_string(now), std::to_string(limit)},
                  store_detail::result_done(ctx, std::move(on_done), "registry add_connection",
                                            RedisReply::Type::array, parse_admission));
            });
}

void RedisNodeRegistry::remove_connection(std::string_view user_id, const ConnectionLease& lease,
                                          Completion done) {
  post_call(
      *context_, std::move(done),
      [s = shared_, user = std::string(user_id), member = lease_member(lease)](Completion on_done) {
        RedisContext& ctx = *s->context;
        ctx.command(
            ctx.shard_for(user), {"ZREM", ctx.key("rc", user), member},
            store_detail::mutation_done(ctx, std::move(on_done), "registry remove_connection"));
      });
}

namespace {

// On the I/O thread: drops the user's expired leases, then runs `read` (ZRANGEBYSCORE or
// ZCOUNT) over the live ones: two pipelined commands, one round trip.
void read_live_leases(RedisContext& ctx, const std::string& user, std::int64_t now,
                      std::string_view read, RedisConnection::Callback done) {
  const std::size_t shard = ctx.shard_for(user);
  const std::string key = ctx.key("rc", user);
  const std::string now_text = std::to_string(now);
  ctx.command(shard, {"ZREMRANGEBYSCORE", key, "-inf", now_text}, nullptr);
  ctx.command(shard, {read, key, "(" + now_text, "+inf"}, std::move(done));
}

}  // namespace

void RedisNodeRegistry::nodes_of(std::string_view user_id,
                                 ResultCallback<std::vector<std::string>> done) {
  const std::int64_t now = context_->now_ms();
  post_call(*context_, std::move(done),
            [s = shared_, user = std::string(user_id),
             now](ResultCallback<std::vector<std::string>> on_done) {
              RedisContext& ctx = *s->context;
              read_live_leases(
                  ctx, user, now, "ZRANGEBYSCORE",
                  store_detail::result_done(
                      ctx, std::move(on_done), "registry nodes_of", RedisReply::Type::array,
                      [s](RedisReply& reply) { return parse_nodes(reply, s->undecodable); }));
            });
}

void RedisNodeRegistry::connection_count(std::string_view user_id,
                                         ResultCallback<std::size_t> done) {
  const std::int64_t now = context_->now_ms();
  post_call(*context_, std::move(done),
            [s = shared_, user = std::string(user_id), now](ResultCallback<std::size_t> on_done) {
              RedisContext& ctx = *s->context;
              read_live_leases(
                  ctx, user, now, "ZCOUNT",
                  store_detail::result_done(ctx, std::move(on_done), "registry connection_count",
                                            RedisReply::Type::integer, store_detail::parse_count));
            });
}

std::uint64_t RedisNodeRegistry::undecodable() const noexcept {
  return shared_->undecodable.load(std::memory_order_relaxed);
}

}  // namespace switchboard::engine::redis
