#pragma once
// Channel names and the patterns that grant them.
#include <string>
#include <string_view>

namespace switchboard::node {

inline constexpr std::size_t kMaxChannelName = 255;

// 1..255 bytes, no control characters, and not starting with '$' (reserved for the node's own
// channels, e.g. "$broadcast").
bool valid_channel_name(std::string_view name) noexcept;

// Glob match where '*' stands for any run of characters: "conv:*", "*:public", "news".
bool match_pattern(std::string_view pattern, std::string_view name) noexcept;

// A channel's namespace: the part before the first ':' ("conv:42" → "conv"), or "".
std::string_view channel_namespace(std::string_view name) noexcept;

// Seed 001's conversations: conversation id X is channel "conv:X".
inline std::string conversation_channel(std::string_view id) { return "conv:" + std::string(id); }

}  // namespace switchboard::node
