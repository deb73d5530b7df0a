// The SnapshotStore on Redis: SET / GET / DEL of "<expiry ms>:<bytes>". See the header.
#include "redis_snapshot_store.hpp"

#include <charconv>

#include "io_call.hpp"
#include "store_call.hpp"

namespace switchboard::engine::redis {
namespace {

// The bytes of a live value "<expiry ms>:<bytes>", or nullopt when expired or not ours.
std::optional<std::string> live_bytes(const std::string& value, std::int64_t now_ms) {
  const auto colon = value.find(':');
  if (colon == std::string::npos) return std::nullopt;
  std::int64_t expires = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + colon, expires);
  if (ec != std::errc{} || end != value.data() + colon || now_ms >= expires) return std::nullopt;
  return value.substr(colon + 1);
}

}  // namespace

RedisSnapshotStore::RedisSnapshotStore(std::shared_ptr<RedisContext> context)
    : context_(std::move(context)) {}

void RedisSnapshotStore::set(std::string_view channel, std::string bytes,
                             std::chrono::milliseconds ttl, Completion done) {
  // The expiry from the caller's moment: a ManualClock advanced right after the call does not
  // move it.
  std::string value = std::to_string(context_->now_ms() + ttl.count());
  value.push_back(':');
  value.append(bytes);
  post_call(*context_, std::move(done),
            [ctx = context_, channel = std::string(channel), value = std::move(value),
             ttl](Completion on_done) {
              ctx->command(ctx->shard_for(channel),
                           {"SET", ctx->key("sn", channel), value, "PX", ctx->gc_ttl_text(ttl)},
                           store_detail::mutation_done(*ctx, std::move(on_done), "snapshot set"));
            });
}

void RedisSnapshotStore::get(std::string_view channel,
                             ResultCallback<std::optional<std::string>> done) {
  const std::int64_t now = context_->now_ms();
  post_call(*context_, std::move(done),
            [ctx = context_, channel = std::string(channel),
             now](ResultCallback<std::optional<std::string>> on_done) {
              ctx->command(ctx->shard_for(channel), {"GET", ctx->key("sn", channel)},
                           [ctx, on_done = std::move(on_done), now](std::error_code ec,
                                                                    const RedisReply& reply) {
                             if (ec) {
                               return complete(on_done, ctx->engine_error(ec, reply, "snapshot get"));
                             }
                             std::optional<std::string> bytes;
                             if (reply.type == RedisReply::Type::string) {
                               bytes = live_bytes(reply.str, now);
                             }
                             complete(on_done, {}, std::move(bytes));
                           });
            });
}

void RedisSnapshotStore::remove(std::string_view channel, Completion done) {
  post_call(*context_, std::move(done),
            [ctx = context_, channel = std::string(channel)](Completion on_done) {
              ctx->command(ctx->shard_for(channel), {"DEL", ctx->key("sn", channel)},
                           store_detail::mutation_done(*ctx, std::move(on_done), "snapshot remove"));
            });
}

}  // namespace switchboard::engine::redis
