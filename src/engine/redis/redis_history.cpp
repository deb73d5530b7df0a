// The HistoryStore on Redis streams. See redis_history.hpp.
#include "redis_history.hpp"

#include <string>
#include <utility>

#include "io_call.hpp"

namespace switchboard::engine::redis {

RedisHistory::RedisHistory(std::shared_ptr<RedisContext> context,
                           std::chrono::milliseconds empty_stream_ttl)
    : context_(std::move(context)),
      streams_(std::make_shared<HistoryStreams>(*context_, empty_stream_ttl)) {}

void RedisHistory::append(Publication publication, const HistoryOptions& options,
                          ResultCallback<PublicationPtr> done) {
  post_call(
      *context_, std::move(done),
      [streams = streams_, request = AppendRequest::make(std::move(publication), options, {})](
          auto completion) mutable { streams->append(std::move(request), std::move(completion)); });
}

void RedisHistory::read(std::string_view channel, std::optional<StreamPosition> since,
                        std::size_t limit, ResultCallback<HistoryResult> done) {
  post_call(*context_, std::move(done),
            [streams = streams_, channel = std::string(channel), since = std::move(since), limit](
                auto completion) { streams->read(channel, since, limit, std::move(completion)); });
}

void RedisHistory::remove(std::string_view channel, Completion done) {
  post_call(*context_, std::move(done),
            [streams = streams_, channel = std::string(channel)](auto completion) {
              streams->remove(channel, std::move(completion));
            });
}

}  // namespace switchboard::engine::redis
