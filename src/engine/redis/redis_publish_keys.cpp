// The shared idempotency keys on Redis. See redis_publish_keys.hpp.
#include "redis_publish_keys.hpp"

#include <string>
#include <utility>

#include "history_scripts.hpp"
#include "io_call.hpp"

namespace switchboard::engine::redis {

RedisPublishKeys::RedisPublishKeys(std::shared_ptr<RedisContext> context,
                                   std::shared_ptr<HistoryStreams> streams)
    : context_(std::move(context)),
      streams_(std::move(streams)),
      scripts_(std::make_shared<const Scripts>(
          Scripts{RedisScript(claim_key_script()), RedisScript(release_key_script())})) {
  context_->preload({scripts_->claim, scripts_->release});
}

void RedisPublishKeys::claim(const Publication& publication,
                             ResultCallback<std::optional<StreamPosition>> done) {
  post_call(*context_, std::move(done),
            [ctx = context_.get(), scripts = scripts_, p = publication](auto completion) mutable {
              const std::string seen = seen_key(*ctx, p);
              const std::string now = ctx->now_ms_text();
              const std::string window = std::to_string(p.dedupe_window.count());
              const std::string window_gc_ttl = ctx->gc_ttl_text(p.dedupe_window);
              const std::string offset = std::to_string(p.offset);
              ctx->run_script(
                  ctx->shard_for(p.channel), scripts->claim, {seen},
                  {now, window, window_gc_ttl, offset, p.epoch},
                  [ctx, p, done = std::move(completion)](std::error_code ec,
                                                         RedisReply reply) mutable {
                    if (ec) return complete(done, ctx->engine_error(ec, reply, "claim key"));
                    if (!take_publish_reply(reply, p)) return complete(done, EngineErrc::unavailable);
                    std::optional<StreamPosition> holder;
                    if (p.duplicate) holder = StreamPosition{p.offset, p.epoch};
                    complete(done, {}, std::move(holder));
                  });
            });
}

void RedisPublishKeys::append(Publication publication, const HistoryOptions& options,
                              ResultCallback<PublicationPtr> done) {
  AppendRequest request = AppendRequest::make(std::move(publication), options, {});
  request.take_key = true;
  post_call(*context_, std::move(done),
            [streams = streams_, request = std::move(request)](auto completion) mutable {
              streams->append(std::move(request), std::move(completion));
            });
}

void RedisPublishKeys::release(const Publication& publication, Completion done) {
  post_call(*context_, std::move(done),
            [ctx = context_.get(), scripts = scripts_, p = publication](auto completion) mutable {
              const std::string seen = seen_key(*ctx, p);
              const std::string ours = ":" + std::to_string(p.offset) + ":" + p.epoch;
              ctx->run_script(ctx->shard_for(p.channel), scripts->release, {seen}, {ours},
                              [ctx, done = std::move(completion)](std::error_code ec,
                                                                  RedisReply reply) {
                                complete(done, ec ? ctx->engine_error(ec, reply, "release key")
                                                  : std::error_code{});
                              });
            });
}

}  // namespace switchboard::engine::redis
