// The SnapshotStore on Redis: SET / GET / DEL of "<expiry ms>:<bytes>". See the header.
#include "redis_snapshot_store.hpp"

#include <charconv>

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
  auto ctx = context_;
  const bool posted = ctx->post([ctx, channel = std::string(channel), bytes = std::move(bytes),
                                 ttl, done]() mutable {
    std::string value = std::to_string(ctx->now_ms() + ttl.count());
    value.push_back(':');
    value.append(bytes);
    const std::string key = ctx->key("sn", channel);
    const std::string px = ctx->gc_ttl_text(ttl);
    ctx->command(ctx->shard_for(channel), {"SET", key, value, "PX", px},
                 [ctx, done](std::error_code ec, const RedisReply& reply) {
                   if (done) done(ctx->engine_error(ec, reply, "snapshot SET"));
                 });
  });
  if (!posted && done) done(EngineErrc::unavailable);
}

void RedisSnapshotStore::get(std::string_view channel,
                             ResultCallback<std::optional<std::string>> done) {
  auto ctx = context_;
  const bool posted = ctx->post([ctx, channel = std::string(channel), done] {
    ctx->command(ctx->shard_for(channel), {"GET", ctx->key("sn", channel)},
                 [ctx, done](std::error_code ec, const RedisReply& reply) {
                   if (!done) return;
                   if (ec) return done(ctx->engine_error(ec, reply, "snapshot GET"), std::nullopt);
                   if (reply.type != RedisReply::Type::string) return done({}, std::nullopt);
                   done({}, live_bytes(reply.str, ctx->now_ms()));
                 });
  });
  if (!posted && done) done(EngineErrc::unavailable, std::nullopt);
}

void RedisSnapshotStore::remove(std::string_view channel, Completion done) {
  auto ctx = context_;
  const bool posted = ctx->post([ctx, channel = std::string(channel), done] {
    ctx->command(ctx->shard_for(channel), {"DEL", ctx->key("sn", channel)},
                 [ctx, done](std::error_code ec, const RedisReply& reply) {
                   if (done) done(ctx->engine_error(ec, reply, "snapshot DEL"));
                 });
  });
  if (!posted && done) done(EngineErrc::unavailable);
}

}  // namespace switchboard::engine::redis
