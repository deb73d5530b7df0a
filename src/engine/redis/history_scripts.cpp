// The channel streams' Lua scripts. See history_scripts.hpp for their keys and arguments.
#include "history_scripts.hpp"

#include <string_view>

namespace switchboard::engine::redis {

namespace {

// A publish with an idempotency key (`seen`: its key, nil without) that an earlier one took
// less than its window ago (`seen_now`: the caller's clock, ms) returns where that one was
// stored, {offset, epoch, 1}, before anything else is touched. The key's value is
// "<expires_ms>:<offset>:<epoch>"; `remember(offset, epoch)` writes it for the window
// (ARGV[window_arg], ms; Redis TTL ARGV[window_arg + 1]: window + gc_slack, as every key).
constexpr std::string_view kReturnIfSeen = R"lua(
local function remember(offset, epoch)
  local expires = seen_now + tonumber(ARGV[window_arg])
  redis.call('SET', seen, string.format('%d:%d:', expires, offset) .. epoch,
             'PX', ARGV[window_arg + 1])
end
if seen then
  local first = redis.call('GET', seen)
  if first then
    local a = string.find(first, ':', 1, true)
    local b = string.find(first, ':', a + 1, true)
    if tonumber(string.sub(first, 1, a - 1)) > seen_now then
      return {tonumber(string.sub(first, a + 1, b - 1)), string.sub(first, b + 1), 1}
    end
  end
end
)lua";

// Both stream scripts begin with this: `epoch` and `top` of the live stream, or of a new one.
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
-- Last: a script that failed above (OOM on XADD) leaves no key to block a retry.
if seen then remember(top, epoch) end
return {top, epoch}
)lua";

constexpr std::string_view kPublishOnceBody = R"lua(
redis.call('PUBLISH', ARGV[2], ARGV[3])
local offset = tonumber(ARGV[6])
remember(offset, ARGV[7])
return {offset, ARGV[7]}
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
  return std::string("local seen, seen_now, window_arg = KEYS[3], tonumber(ARGV[1]), 9\n")
      .append(kReturnIfSeen)
      .append(kOpenStream)
      .append(kAppendBody);
}
std::string publish_once_script() {
  return std::string("local seen, seen_now, window_arg = KEYS[1], tonumber(ARGV[1]), 4\n")
      .append(kReturnIfSeen)
      .append(kPublishOnceBody);
}
std::string claim_key_script() {
  return std::string("local seen, seen_now, window_arg = KEYS[1], tonumber(ARGV[1]), 2\n")
      .append(kReturnIfSeen)
      .append(R"lua(
local offset = tonumber(ARGV[4])
remember(offset, ARGV[5])
return {offset, ARGV[5]}
)lua");
}
std::string release_key_script() {
  return R"lua(
local held = redis.call('GET', KEYS[1])
if held and string.sub(held, -#ARGV[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
)lua";
}
std::string read_script() {
  return std::string(kOpenStream).append(kReadBody);
}

}  // namespace switchboard::engine::redis
