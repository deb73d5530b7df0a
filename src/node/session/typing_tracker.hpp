#pragma once
// Typing indicators on one worker: (channel, user) → when typing.stop is due. A renewal only
// moves the deadline (typing.start is not resent); the sweep reports what expired.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace switchboard::node {

class TypingTracker {
 public:
  // Returns true when this starts typing (send typing.start), false for a renewal.
  bool touch(const std::string& channel, const std::string& user, std::uint32_t deadline) {
    auto [it, inserted] = entries_.try_emplace(key(channel, user), Entry{channel, user, deadline});
    if (!inserted) it->second.deadline = deadline;
    return inserted;
  }
  // Removes the entry (user stopped, left the channel); true when it existed.
  bool stop(const std::string& channel, const std::string& user) {
    return entries_.erase(key(channel, user)) > 0;
  }
  // Removes and returns every (channel, user) whose deadline has passed.
  std::vector<std::pair<std::string, std::string>> expire(std::uint32_t now) {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (static_cast<std::int32_t>(now - it->second.deadline) >= 0) {
        out.emplace_back(std::move(it->second.channel), std::move(it->second.user));
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct Entry {
    std::string channel;
    std::string user;
    std::uint32_t deadline;
  };
  static std::string key(const std::string& channel, const std::string& user) {
    std::string k;
    k.reserve(channel.size() + user.size() + 1);
    k.append(channel).push_back('\n');
    k.append(user);
    return k;
  }
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace switchboard::node
