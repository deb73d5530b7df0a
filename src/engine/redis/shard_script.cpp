// A RedisScript loaded on each server before its first use. See shard_script.hpp.
#include "shard_script.hpp"

#include <boost/asio/post.hpp>
#include <utility>

namespace switchboard::engine::redis {

ShardScript::ShardScript(std::string body) : script_(std::move(body)) {}

void ShardScript::run(RedisContext& context, std::size_t shard,
                      std::span<const std::string_view> keys,
                      std::span<const std::string_view> args, RedisConnection::Callback done) {
  if (!context.ready(shard)) {
    boost::asio::post(context.executor(), [done = std::move(done)] {
      if (done) done(RedisErrc::not_connected, RedisReply{});
    });
    return;
  }
  auto& loaded = *loaded_on_;
  if (loaded.size() < context.shards()) loaded.resize(context.shards());
  const std::string& run_id = context.run_id(shard);
  RedisConnection& conn = context.connection(shard);
  if (loaded[shard] != run_id) {
    loaded[shard] = run_id;
    script_.load(conn, [loaded_on = loaded_on_, shard, run_id](std::error_code ec, RedisReply) {
      // Not loaded after all (connection lost, refused): try again before the next call.
      if (ec && (*loaded_on)[shard] == run_id) (*loaded_on)[shard].clear();
    });
  }
  script_.run(conn, keys, args, std::move(done));
}

}  // namespace switchboard::engine::redis
