// The channel streams' Lua scripts. See history_scripts.hpp for their keys and arguments.
#include "history_scripts.hpp"

#include <string_view>

namespace switchboard::engine::redis {

namespace {

// Both scripts begin with this: `epoch` and `top` of the live stream, or of a new one.
constexpr std::string_view kOpenStream = R"lua(
local now = tonumber(ARGV[1])
local meta = redis.call('HMGET', KEYS[2], 'e', 's', 'x', 'r')
local epoch, top = meta[1], tonumber(meta[2])
local live = epoch and top and meta[3] and tonumber(meta[3]) > now and meta[4] == ARGV[3]
if not live then
  redis.call('DEL', KEYS[1])
  epoch, top = ARGV[2], 0
end
)lua";

constexpr std::string_view kAppendBody = R"lua(
top = top + 1
redis.call('HSET', KEYS[2], 'e', epoch, 's', top, 'x', now + tonumber(ARGV[4]), 'r', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
local size = tonumber(ARGV[5])
if size > 0 then
  redis.call('XADD', KEYS[1], 'MAXLEN', size, string.format('%d-0', top), 'd', ARGV[7])
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
else
  redis.call('DEL', KEYS[1])
end
if ARGV[8] ~= '' then
  redis.call('PUBLISH', ARGV[8], string.format('%d', top) .. ':' .. epoch .. ':' .. ARGV[7])
end
return {top, epoch}
)lua";

constexpr std::string_view kReadBody = R"lua(
if not live then
  redis.call('HSET', KEYS[2], 'e', epoch, 's', 0, 'x', now + tonumber(ARGV[7]), 'r', ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[8])
end
local limit = tonumber(ARGV[6])
local out = {top, epoch, 1}
local function add(entry)
  out[#out + 1] = entry[1]
  out[#out + 1] = entry[2][2]
end
-- The latest `limit` publications, oldest first.
local function latest()
  if limit > 0 then
    local entries = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', limit)
    for i = #entries, 1, -1 do add(entries[i]) end
  end
  return out
end
local function lost()
  out[3] = 0
  return latest()
end
if ARGV[4] == '' then return latest() end
local since = tonumber(ARGV[4])
if ARGV[5] ~= epoch or since > top or top - since > limit then return lost() end
if since == top then return out end
-- Everything after `since` is still there only if the window starts at since + 1 or before
-- (the stream's IDs are consecutive: trims only remove the oldest).
local first = string.format('%d-0', since + 1)
local entries = redis.call('XRANGE', KEYS[1], first, '+', 'COUNT', limit)
if #entries == 0 or entries[1][1] ~= first then return lost() end
for _, entry in ipairs(entries) do add(entry) end
return out
)lua";

}  // namespace

std::string append_script() {
  return std::string(kOpenStream).append(kAppendBody);
}
std::string read_script() {
  return std::string(kOpenStream).append(kReadBody);
}

}  // namespace switchboard::engine::redis
