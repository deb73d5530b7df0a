// Received publications back in offset order. See offset_sequencer.hpp.
#include "offset_sequencer.hpp"

namespace switchboard::engine::relay {

OffsetSequencer::Verdict OffsetSequencer::accept(const PublicationPtr& publication,
                                                 Clock::time_point now,
                                                 std::vector<PublicationPtr>& deliver) {
  const Publication& p = *publication;
  if (p.offset == 0) {
    deliver.push_back(publication);
    return Verdict::passed;
  }
  auto [it, first] = streams_.try_emplace(p.channel);
  Stream& stream = it->second;
  if (first || stream.epoch != p.epoch) {
    const bool gave_up = !stream.held.empty();
    drop_held(stream);
    stream.epoch = p.epoch;
    stream.next = p.offset + 1;
    deliver.push_back(publication);
    return gave_up ? Verdict::passed_new_gap : Verdict::passed;
  }
  if (p.offset < stream.next) return Verdict::stale;
  if (p.offset > stream.next) {
    if (stream.held.empty()) stream.gap_since = now;
    if (!stream.held.try_emplace(p.offset, publication).second) return Verdict::stale;
    ++held_;
    return Verdict::held;
  }
  deliver.push_back(publication);
  ++stream.next;
  pass_following(stream, now, deliver);
  return Verdict::passed;
}

void OffsetSequencer::pass_following(Stream& stream, Clock::time_point now,
                                     std::vector<PublicationPtr>& deliver) {
  while (!stream.held.empty() && stream.held.begin()->first == stream.next) {
    deliver.push_back(std::move(stream.held.begin()->second));
    stream.held.erase(stream.held.begin());
    --held_;
    ++stream.next;
  }
  // What is still held waits behind a new gap, which starts now.
  if (!stream.held.empty()) stream.gap_since = now;
}

void OffsetSequencer::drop_held(Stream& stream) {
  held_ -= stream.held.size();
  stream.held.clear();
}

void OffsetSequencer::seed(std::string_view channel, const StreamPosition& position) {
  auto [it, first] = streams_.try_emplace(std::string(channel));
  if (!first) return;
  it->second.epoch = position.epoch;
  it->second.next = position.offset + 1;
}

std::vector<std::string> OffsetSequencer::expire(Clock::time_point now) {
  std::vector<std::string> given_up;
  for (auto& [channel, stream] : streams_) {
    if (stream.held.empty() || now - stream.gap_since < gap_timeout_) continue;
    stream.next = stream.held.rbegin()->first + 1;
    drop_held(stream);
    given_up.push_back(channel);
  }
  return given_up;
}

std::optional<OffsetSequencer::Clock::time_point> OffsetSequencer::next_deadline() const {
  std::optional<Clock::time_point> earliest;
  if (held_ == 0) return earliest;
  for (const auto& [channel, stream] : streams_) {
    if (stream.held.empty()) continue;
    const auto deadline = stream.gap_since + gap_timeout_;
    if (!earliest || deadline < *earliest) earliest = deadline;
  }
  return earliest;
}

void OffsetSequencer::forget(std::string_view channel) {
  auto it = streams_.find(std::string(channel));
  if (it == streams_.end()) return;
  drop_held(it->second);
  streams_.erase(it);
}

}  // namespace switchboard::engine::relay
