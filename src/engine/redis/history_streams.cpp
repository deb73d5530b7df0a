// The channel streams in Redis. See history_streams.hpp.
#include "history_streams.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <span>
#include <string_view>
#include <utility>

#include "history_scripts.hpp"
#include "switchboard/engine/publication_codec.hpp"

namespace switchboard::engine::redis {
namespace {

// Sizes and limits beyond this are "everything": Lua holds numbers as doubles, and Redis
// refuses a COUNT or MAXLEN it would print in exponent form.
constexpr std::size_t kMaxCount = 1'000'000'000;

std::string count_text(std::size_t n) {
  return std::to_string(std::min(n, kMaxCount));
}

// The offset of a stream entry ID "<offset>-0".
std::optional<std::uint64_t> entry_offset(std::string_view id) {
  std::uint64_t offset = 0;
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), offset);
  if (ec != std::errc{} || end == id.data() || end == id.data() + id.size() || *end != '-') {
    return std::nullopt;
  }
  return offset;
}

bool is_position(const RedisReply& reply, std::size_t min_size) {
  return reply.type == RedisReply::Type::array && reply.elements.size() >= min_size &&
         reply.elements[0].type == RedisReply::Type::integer && reply.elements[0].integer >= 0 &&
         reply.elements[1].type == RedisReply::Type::string;
}

// The reply of the read script as a HistoryResult; nullopt when it has the wrong shape.
std::optional<HistoryResult> parse_read(const RedisReply& reply, HistoryStreamStats& stats,
                                        std::string_view channel) {
  if (!is_position(reply, 3) || reply.elements[2].type != RedisReply::Type::integer ||
      reply.elements.size() % 2 != 1) {
    return std::nullopt;
  }
  HistoryResult result;
  result.position = {static_cast<std::uint64_t>(reply.elements[0].integer), reply.elements[1].str};
  result.recovered = reply.elements[2].integer == 1;
  result.publications.reserve((reply.elements.size() - 3) / 2);
  for (std::size_t i = 3; i + 1 < reply.elements.size(); i += 2) {
    const auto offset = entry_offset(reply.elements[i].str);
    auto publication = decode_body(reply.elements[i + 1].str);
    if (!offset || !publication) {
      const auto dropped = ++stats.undecodable_entries;
      if (dropped == 1 || dropped % 1000 == 0) {
        spdlog::warn("redis history: dropped an undecodable entry of {} ({} so far)", channel,
                     dropped);
      }
      result.recovered = false;  // the caller did not get everything after its position
      continue;
    }
    publication->offset = *offset;
    publication->epoch = result.position.epoch;
    result.publications.push_back(std::make_shared<const Publication>(std::move(*publication)));
  }
  return result;
}

}  // namespace

std::string seen_key(const RedisContext& context, const Publication& publication) {
  return context.key("hr", idempotency_slot(publication.channel, publication.idempotency_key));
}

bool take_publish_reply(RedisReply& reply, Publication& published) {
  if (!is_position(reply, 2) || reply.elements.size() > 3) {
    spdlog::error("redis: unexpected reply to a publish script: {}", to_string(reply));
    return false;
  }
  published.offset = static_cast<std::uint64_t>(reply.elements[0].integer);
  published.epoch = std::move(reply.elements[1].str);
  published.duplicate = reply.elements.size() == 3;
  return true;
}

AppendRequest AppendRequest::make(Publication publication, const HistoryOptions& options,
                                  std::string pubsub_channel) {
  AppendRequest request;
  request.body = encode_body(publication);
  request.publication = std::move(publication);
  request.options = options;
  request.pubsub_channel = std::move(pubsub_channel);
  return request;
}

HistoryStreams::HistoryStreams(RedisContext& context, std::chrono::milliseconds empty_stream_ttl)
    : context_(context),
      empty_stream_ttl_(empty_stream_ttl),
      append_script_(append_script()),
      read_script_(read_script()) {
  // Loaded on every (re)connect before the shard is ready: a first call never meets NOSCRIPT,
  // whose retry would run after the calls made behind it.
  context_.preload({append_script_, read_script_});
}

void HistoryStreams::append(AppendRequest request, ResultCallback<PublicationPtr> done) {
  const std::string& channel = request.publication.channel;
  const std::size_t shard = context_.shard_for(channel);
  const std::string stream = context_.key("hs", channel);
  const std::string meta = context_.key("hm", channel);
  const std::string now = context_.now_ms_text();
  const std::string epoch = new_epoch();
  const std::string ttl = std::to_string(request.options.ttl.count());
  const std::string size = count_text(request.options.size);
  const std::string gc_ttl = context_.gc_ttl_text(request.options.ttl);
  // Only a broker's publish takes the idempotency key (as MemoryHistory, a history append
  // alone does not).
  const bool keyed = (!request.pubsub_channel.empty() || request.take_key) &&
                     request.publication.deduplicated();
  const std::string seen = keyed ? seen_key(context_, request.publication) : std::string();
  const std::string window = std::to_string(request.publication.dedupe_window.count());
  const std::string window_gc_ttl = context_.gc_ttl_text(request.publication.dedupe_window);
  const std::string_view keys[] = {stream, meta, seen};
  const std::string_view args[] = {
      now,    epoch,        context_.run_id(shard), ttl,    size,
      gc_ttl, request.body, request.pubsub_channel, window, window_gc_ttl};
  auto stored = std::make_shared<Publication>(std::move(request.publication));
  context_.run_script(
      shard, append_script_, std::span(keys).first(keyed ? 3 : 2), args,
      [context = &context_, stored, done = std::move(done)](std::error_code ec, RedisReply reply) {
        if (!done) return;
        if (ec) return done(context->engine_error(ec, reply, "history append"), {});
        if (!take_publish_reply(reply, *stored)) return done(EngineErrc::unavailable, {});
        done({}, std::move(stored));
      });
}

void HistoryStreams::read(const std::string& channel, const std::optional<StreamPosition>& since,
                          std::size_t limit, ResultCallback<HistoryResult> done) {
  const std::size_t shard = context_.shard_for(channel);
  const std::string stream = context_.key("hs", channel);
  const std::string meta = context_.key("hm", channel);
  const std::string now = context_.now_ms_text();
  const std::string epoch = new_epoch();
  const std::string since_offset = since ? std::to_string(since->offset) : std::string();
  const std::string limit_text = count_text(limit);
  const std::string empty_ttl = std::to_string(empty_stream_ttl_.count());
  const std::string empty_gc_ttl = context_.gc_ttl_text(empty_stream_ttl_);
  const std::string_view keys[] = {stream, meta};
  const std::string_view args[] = {now,
                                   epoch,
                                   context_.run_id(shard),
                                   since_offset,
                                   since ? std::string_view(since->epoch) : std::string_view(),
                                   limit_text,
                                   empty_ttl,
                                   empty_gc_ttl};
  context_.run_script(shard, read_script_, keys, args,
                   [context = &context_, stats = stats_, channel, done = std::move(done)](
                       std::error_code ec, RedisReply reply) {
                     if (!done) return;
                     if (ec) return done(context->engine_error(ec, reply, "history read"), {});
                     auto result = parse_read(reply, *stats, channel);
                     if (!result) {
                       spdlog::error("redis history: unexpected read reply {}", to_string(reply));
                       return done(EngineErrc::unavailable, {});
                     }
                     done({}, std::move(*result));
                   });
}

void HistoryStreams::remove(const std::string& channel, Completion done) {
  const std::string stream = context_.key("hs", channel);
  const std::string meta = context_.key("hm", channel);
  context_.command(
      context_.shard_for(channel), {"DEL", stream, meta},
      [context = &context_, done = std::move(done)](std::error_code ec, RedisReply reply) {
        if (done) done(context->engine_error(ec, reply, "history remove"));
      });
}

}  // namespace switchboard::engine::redis
