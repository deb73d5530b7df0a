// RedisOfflineStore: a LIST of (expiry, id, publication) per user. See redis_offline_store.hpp.
#include "redis_offline_store.hpp"

#include <charconv>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "switchboard/engine/publication_codec.hpp"
#include "store_call.hpp"
#include "store_scripts.hpp"

namespace switchboard::engine::redis {
namespace {


// "<expiry ms>:" put_field(id) positioned: the scripts read the expiry and the id, nothing else.
std::string encode_entry(std::int64_t expiry_ms, const Publication& p) {
  std::string entry = std::to_string(expiry_ms);
  entry.push_back(':');
  put_field(entry, p.id);
  entry.append(encode_positioned(p));
  return entry;
}

PublicationPtr decode_entry(std::string_view entry) {
  const auto colon = entry.find(':');
  if (colon == std::string_view::npos) return nullptr;
  std::int64_t expiry = 0;
  const auto [end, ec] = std::from_chars(entry.data(), entry.data() + colon, expiry);
  if (ec != std::errc{} || end != entry.data() + colon) return nullptr;
  entry.remove_prefix(colon + 1);
  std::string id;
  if (!take_field(entry, id)) return nullptr;
  auto publication = decode_positioned(entry);
  if (!publication) return nullptr;
  return std::make_shared<const Publication>(std::move(*publication));
}

std::optional<std::size_t> parse_dropped(const RedisReply& reply) {
  if (reply.integer < 0) return std::nullopt;
  return static_cast<std::size_t>(reply.integer);
}

// The take script's entries; those that do not decode are dropped, counted.
std::optional<std::vector<PublicationPtr>> parse_taken(const RedisReply& reply,
                                                       std::atomic<std::uint64_t>& undecodable) {
  std::vector<PublicationPtr> live;
  live.reserve(reply.elements.size());
  for (const auto& e : reply.elements) {
    if (auto p = decode_entry(e.str)) {
      live.push_back(std::move(p));
    } else {
      undecodable.fetch_add(1, std::memory_order_relaxed);
    }
  }
  return live;
}

}  // namespace

struct RedisOfflineStore::Shared {
  explicit Shared(RedisContext* c) : context(c) {}
  RedisContext* context;  // outlives every call (store_call.hpp)
  RedisScript push{scripts::offline_push()};
  RedisScript take{scripts::offline_take()};
  std::atomic<std::uint64_t> undecodable{0};
};

RedisOfflineStore::RedisOfflineStore(std::shared_ptr<RedisContext> context)
    : context_(std::move(context)), shared_(std::make_shared<Shared>(context_.get())) {
  context_->preload({shared_->push, shared_->take});
}

RedisOfflineStore::~RedisOfflineStore() = default;

void RedisOfflineStore::push(std::string_view user_id, PublicationPtr publication,
                             const OfflineLimits& limits, ResultCallback<std::size_t> done) {
  const std::int64_t now = context_->now_ms();
  const std::int64_t expiry = now + limits.ttl.count();
  std::string entry = encode_entry(expiry, *publication);
  post_call(
      *context_, std::move(done),
      [s = shared_, user = std::string(user_id), id = publication->id, entry = std::move(entry),
       max = limits.max_messages, now, expiry](ResultCallback<std::size_t> on_done) {
        // Nothing may be kept: the message itself is the one dropped (no Redis needed).
        if (max == 0) return complete(on_done, {}, std::size_t{1});
        RedisContext& ctx = *s->context;
        ctx.run_script(ctx.shard_for(user), s->push, {ctx.key("of", user)},
                       {std::to_string(now), std::to_string(max), id, entry, std::to_string(expiry),
                        std::to_string(ctx.options().gc_slack.count())},
                       store_detail::result_done(ctx, std::move(on_done), "offline push",
                                                 RedisReply::Type::integer, parse_dropped));
      });
}

void RedisOfflineStore::take(std::string_view user_id,
                             ResultCallback<std::vector<PublicationPtr>> done) {
  const std::int64_t now = context_->now_ms();
  post_call(*context_, std::move(done),
            [s = shared_, user = std::string(user_id),
             now](ResultCallback<std::vector<PublicationPtr>> on_done) {
              RedisContext& ctx = *s->context;
              ctx.run_script(
                  ctx.shard_for(user), s->take, {ctx.key("of", user)}, {std::to_string(now)},
                  store_detail::result_done(
                      ctx, std::move(on_done), "offline take", RedisReply::Type::array,
                      [s](RedisReply& reply) { return parse_taken(reply, s->undecodable); }));
            });
}

std::uint64_t RedisOfflineStore::undecodable() const noexcept {
  return shared_->undecodable.load(std::memory_order_relaxed);
}

}  // namespace switchboard::engine::redis
