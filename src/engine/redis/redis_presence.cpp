// RedisPresence: presence entries in per-channel ZSET + HASH, user-online ZSETs. See
// redis_presence.hpp.
#include "redis_presence.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "switchboard/engine/publication_codec.hpp"
#include "store_call.hpp"
#include "store_scripts.hpp"

namespace switchboard::engine::redis {
namespace {


constexpr std::string_view kTouchMember = "touch";  // never starts with a digit, as entries do

// The user-online member of `client` in `channel`: length-prefixed, so no channel name or
// client id can make two pairs collide.
std::string online_member(std::string_view channel, std::string_view client_id) {
  std::string member;
  put_field(member, channel);
  member.append(client_id);
  return member;
}

std::string encode_entry(const PresenceEntry& entry) {
  std::string value;
  put_field(value, entry.user_id);
  put_field(value, entry.node_id);
  return value;
}

bool decode_entry(std::string_view value, PresenceEntry& entry) {
  return take_field(value, entry.user_id) && take_field(value, entry.node_id) && value.empty();
}

// The members script's [client, entry, ...]; entries that do not decode are skipped, counted.
std::optional<std::vector<PresenceEntry>> parse_members(RedisReply& reply,
                                                        std::atomic<std::uint64_t>& undecodable) {
  if (reply.elements.size() % 2 != 0) return std::nullopt;
  std::vector<PresenceEntry> live;
  live.reserve(reply.elements.size() / 2);
  for (std::size_t i = 0; i < reply.elements.size(); i += 2) {
    PresenceEntry entry;
    entry.client_id = std::move(reply.elements[i].str);
    if (decode_entry(reply.elements[i + 1].str, entry)) {
      live.push_back(std::move(entry));
    } else {
      undecodable.fetch_add(1, std::memory_order_relaxed);
    }
  }
  return live;
}

}  // namespace

struct RedisPresence::Shared {
  explicit Shared(RedisContext* c) : context(c) {}
  RedisContext* context;  // outlives every call (store_call.hpp)
  RedisScript add{scripts::presence_add()};
  RedisScript remove{scripts::presence_remove()};
  RedisScript members{scripts::presence_members()};
  RedisScript refresh{scripts::zset_refresh()};
  std::atomic<std::uint64_t> undecodable{0};
};

RedisPresence::RedisPresence(std::shared_ptr<RedisContext> context)
    : context_(std::move(context)), shared_(std::make_shared<Shared>(context_.get())) {
  context_->preload({shared_->add, shared_->remove, shared_->members, shared_->refresh});
}

RedisPresence::~RedisPresence() = default;

void RedisPresence::add(std::string_view channel, PresenceEntry entry,
                        std::chrono::milliseconds ttl, ResultCallback<std::size_t> done) {
  const std::int64_t now = context_->now_ms();
  post_call(
      *context_, std::move(done),
      [s = shared_, channel = std::string(channel), entry = std::move(entry), now,
       ttl](ResultCallback<std::size_t> on_done) {
        RedisContext& ctx = *s->context;
        ctx.run_script(ctx.shard_for(channel), s->add,
                       {ctx.key("pz", channel), ctx.key("pi", channel), ctx.key("pn", channel),
                        ctx.key("uo", entry.user_id)},
                       {entry.client_id, encode_entry(entry), std::to_string(now + ttl.count()),
                        ctx.gc_ttl_text(ttl), online_member(channel, entry.client_id),
                        ctx.key("uo", ""), entry.user_id, std::to_string(now)},
                       store_detail::result_done(ctx, std::move(on_done), "presence add",
                                                 RedisReply::Type::integer,
                                                 store_detail::parse_count));
      });
}

void RedisPresence::remove(std::string_view channel, std::string_view client_id,
                           ResultCallback<std::size_t> done) {
  const std::int64_t now = context_->now_ms();
  post_call(*context_, std::move(done),
            [s = shared_, channel = std::string(channel), client = std::string(client_id),
             now](ResultCallback<std::size_t> on_done) {
              RedisContext& ctx = *s->context;
              ctx.run_script(
                  ctx.shard_for(channel), s->remove,
                  {ctx.key("pz", channel), ctx.key("pi", channel), ctx.key("pn", channel)},
                  {client, online_member(channel, client), ctx.key("uo", ""),
                   std::to_string(now)},
                  store_detail::result_done(ctx, std::move(on_done), "presence remove",
                                            RedisReply::Type::integer, store_detail::parse_count));
            });
}

void RedisPresence::members(std::string_view channel,
                            ResultCallback<std::vector<PresenceEntry>> done) {
  const std::int64_t now = context_->now_ms();
  post_call(*context_, std::move(done),
            [s = shared_, channel = std::string(channel),
             now](ResultCallback<std::vector<PresenceEntry>> on_done) {
              RedisContext& ctx = *s->context;
              ctx.run_script(
                  ctx.shard_for(channel), s->members,
                  {ctx.key("pz", channel), ctx.key("pi", channel), ctx.key("pn", channel)},
                  {std::to_string(now)},
                  store_detail::result_done(
                      ctx, std::move(on_done), "presence members", RedisReply::Type::array,
                      [s](RedisReply& reply) { return parse_members(reply, s->undecodable); }));
            });
}

void RedisPresence::touch_user(std::string_view user_id, std::chrono::milliseconds ttl,
                               Completion done) {
  const std::int64_t expiry = context_->now_ms() + ttl.count();
  post_call(*context_, std::move(done),
            [s = shared_, user = std::string(user_id), expiry, ttl](Completion on_done) {
              RedisContext& ctx = *s->context;
              store_detail::refresh_member(ctx, s->refresh, ctx.shard_for(user),
                                           ctx.key("uo", user), std::string(kTouchMember), expiry,
                                           ttl, std::move(on_done), "presence touch_user");
            });
}

namespace {

// user_online() over every shard: online as soon as one shard counts a live member.
struct OnlineQuery {
  ResultCallback<bool> done;
  std::size_t waiting = 0;
  bool online = false;
  std::error_code error;

  void answer(std::error_code ec) {
    if (ec && !error) error = ec;
    if (--waiting > 0) return;
    if (online) return complete(done, {}, true);
    complete(done, error, false);
  }
};

}  // namespace

void RedisPresence::user_online(std::string_view user_id, ResultCallback<bool> done) {
  const std::int64_t now = context_->now_ms();
  post_call(*context_, std::move(done),
            [s = shared_, user = std::string(user_id), now](ResultCallback<bool> on_done) {
              RedisContext& ctx = *s->context;
              auto query = std::make_shared<OnlineQuery>();
              query->done = std::move(on_done);
              query->waiting = ctx.shards();
              const std::string key = ctx.key("uo", user);
              const std::string now_text = std::to_string(now);
              const std::string live_from = "(" + now_text;
              for (std::size_t shard = 0; shard < ctx.shards(); ++shard) {
                // Expired members go first (they would otherwise stay until the key's TTL).
                ctx.command(shard, {"ZREMRANGEBYSCORE", key, "-inf", now_text}, nullptr);
                ctx.command(shard, {"ZCOUNT", key, live_from, "+inf"},
                            [s, query](std::error_code ec, RedisReply reply) {
                              constexpr const char* kWhat = "presence user_online";
                              if (ec)
                                return query->answer(s->context->engine_error(ec, reply, kWhat));
                              if (reply.type != RedisReply::Type::integer) {
                                return query->answer(store_detail::unexpected_reply(kWhat, reply));
                              }
                              if (reply.integer > 0) query->online = true;
                              query->answer({});
                            });
              }
            });
}

std::uint64_t RedisPresence::undecodable() const noexcept {
  return shared_->undecodable.load(std::memory_order_relaxed);
}

}  // namespace switchboard::engine::redis
