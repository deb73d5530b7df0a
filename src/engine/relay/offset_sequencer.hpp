#pragma once
// OffsetSequencer: puts one node's received publications of each channel back in offset order
// (relay_broker.hpp). The relay broker's append (Redis) and send (RabbitMQ, NATS) are two
// steps on two servers, so offsets n and n + 1 published by two nodes can arrive swapped.
//
// Per channel it knows the epoch and the next offset expected:
// - a publication without an offset (ephemeral) passes at once; nothing is tracked;
// - the first of a channel (or of a new epoch) passes and sets the next offset; seed() sets
//   it from the history's position beforehand (at subscribe), so that an early n + 1 waits
//   for n;
// - the expected offset passes, and with it every held one that follows without a gap;
// - one further ahead is held; an offset at or below what passed is stale (a duplicate, or
//   late after its gap was given up) and dropped;
// - a gap still open `gap_timeout` after it began is given up by expire(): the held ones are
//   dropped, the next offset moves past them, and the channel is returned so that the caller
//   reports on_subscription_restored — the node then recovers its subscribers from history,
//   which has them all, in order. A new epoch with publications held gives up the gap at once.
//
// Time is the caller's (a steady clock's now), so tests drive it.
//
// Thread safety: none; the relay broker holds a lock around each call.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "switchboard/engine/publication.hpp"

namespace switchboard::engine::relay {

class OffsetSequencer {
 public:
  using Clock = std::chrono::steady_clock;

  enum class Verdict : std::uint8_t {
    passed,          // it (and maybe held ones after it) are in `deliver`
    held,            // waits for the offsets before it
    stale,           // dropped: at or below an offset already passed on
    passed_new_gap,  // passed, but publications held for the old epoch were dropped: restore
  };

  explicit OffsetSequencer(std::chrono::milliseconds gap_timeout) : gap_timeout_(gap_timeout) {}

  // One arrival: what may be delivered now is appended to `deliver`, in order.
  Verdict accept(const PublicationPtr& publication, Clock::time_point now,
                 std::vector<PublicationPtr>& deliver);
  // The channel's position as the history has it, before its first arrival: the next offset
  // is the one after it. Ignored once the channel has arrivals.
  void seed(std::string_view channel, const StreamPosition& position);
  // Gives up every gap open since `gap_timeout` before `now`; returns those channels.
  std::vector<std::string> expire(Clock::time_point now);
  // When the earliest open gap times out; nullopt when nothing is held.
  std::optional<Clock::time_point> next_deadline() const;
  // Forgets the channel (unsubscribed, or its subscription was lost and restored).
  void forget(std::string_view channel);

  std::size_t held() const noexcept { return held_; }

 private:
  struct Stream {
    std::string epoch;
    std::uint64_t next = 1;                        // the offset expected
    std::map<std::uint64_t, PublicationPtr> held;  // ahead of `next`
    Clock::time_point gap_since;                   // when the first held one arrived
  };
  void pass_following(Stream& stream, Clock::time_point now,
                      std::vector<PublicationPtr>& deliver);
  void drop_held(Stream& stream);

  std::chrono::milliseconds gap_timeout_;
  std::unordered_map<std::string, Stream> streams_;
  std::size_t held_ = 0;
};

}  // namespace switchboard::engine::relay
