// The Lua scripts of the Redis stores. See store_scripts.hpp.
#include "store_scripts.hpp"

namespace switchboard::engine::redis::scripts {
namespace {

// Raises `key`'s TTL to `ms` unless it already lives longer. PTTL is -1 on a key without TTL,
// so a key just created always gets one (PEXPIRE GT would leave such a key without).
constexpr const char* kRaiseTtl = R"lua(
local function raise_ttl(key, ms)
  if redis.call('PTTL', key) < tonumber(ms) then redis.call('PEXPIRE', key, ms) end
end
)lua";

// The user of a presence entry: its first field, "<len>:<user>".
constexpr const char* kUserOf = R"lua(
local function user_of(entry)
  local len, at = string.match(entry, '^(%d+):()')
  if not len then return nil end
  return string.sub(entry, at, at + tonumber(len) - 1)
end
)lua";

// A channel's per-user entry counts (pn:<ch>) count the entries pz:<ch> and pi:<ch> hold, so
// every script that reads or changes them first drops the expired entries, uncounting each:
// the counts are then of live entries. Each entry is pruned once, so this is amortised O(1).
constexpr const char* kPresencePrune = R"lua(
local function uncount(pn, user)
  if redis.call('HINCRBY', pn, user, -1) <= 0 then redis.call('HDEL', pn, user) end
end
local function prune(pz, pi, pn, now)
  local expired = redis.call('ZRANGEBYSCORE', pz, '-inf', now)
  if #expired == 0 then return end
  for _, client in ipairs(expired) do
    local entry = redis.call('HGET', pi, client)
    if entry then
      local user = user_of(entry)
      if user then uncount(pn, user) end
      redis.call('HDEL', pi, client)
    end
  end
  redis.call('ZREMRANGEBYSCORE', pz, '-inf', now)
end
)lua";

}  // namespace

std::string presence_add() {
  return std::string(kRaiseTtl) + kUserOf + kPresencePrune + R"lua(
prune(KEYS[1], KEYS[2], KEYS[3], ARGV[8])
local old = redis.call('HGET', KEYS[2], ARGV[1])
local old_user = old and user_of(old)
if old_user ~= ARGV[7] then
  if old_user then
    redis.call('ZREM', ARGV[6] .. old_user, ARGV[5])
    uncount(KEYS[3], old_user)
  end
  redis.call('HINCRBY', KEYS[3], ARGV[7], 1)
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[5])
raise_ttl(KEYS[1], ARGV[4])
raise_ttl(KEYS[2], ARGV[4])
raise_ttl(KEYS[3], ARGV[4])
raise_ttl(KEYS[4], ARGV[4])
return tonumber(redis.call('HGET', KEYS[3], ARGV[7])) - 1
)lua";
}

std::string presence_remove() {
  return std::string(kUserOf) + kPresencePrune + R"lua(
prune(KEYS[1], KEYS[2], KEYS[3], ARGV[4])
redis.call('ZREM', KEYS[1], ARGV[1])
local old = redis.call('HGET', KEYS[2], ARGV[1])
if not old then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
local old_user = user_of(old)
if not old_user then return 0 end
redis.call('ZREM', ARGV[3] .. old_user, ARGV[2])
uncount(KEYS[3], old_user)
return tonumber(redis.call('HGET', KEYS[3], old_user) or 0)
)lua";
}

std::string presence_members() {
  return std::string(kUserOf) + kPresencePrune + R"lua(
prune(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
local out = {}
for _, client in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')) do
  local entry = redis.call('HGET', KEYS[2], client)
  if entry then
    out[#out + 1] = client
    out[#out + 1] = entry
  end
end
return out
)lua";
}

std::string zset_refresh() {
  return std::string(kRaiseTtl) + R"lua(
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
raise_ttl(KEYS[1], ARGV[3])
return 1
)lua";
}

std::string registry_add() {
  return std::string(kRaiseTtl) + R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[4])
local n = redis.call('ZCARD', KEYS[1])
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  if n >= tonumber(ARGV[5]) then return {0, n} end
  n = n + 1
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
raise_ttl(KEYS[1], ARGV[3])
return {1, n}
)lua";
}

std::string offline_push() {
  return R"lua(
local now, max = tonumber(ARGV[1]), tonumber(ARGV[2])
local id, entry = ARGV[3], ARGV[4]
local items = redis.call('LRANGE', KEYS[1], 0, -1)
local live = {}
for _, item in ipairs(items) do
  local expiry, len, at = string.match(item, '^(%d+):(%d+):()')
  if expiry and tonumber(expiry) > now then
    if id ~= '' and string.sub(item, at, at + tonumber(len) - 1) == id then return 0 end
    live[#live + 1] = item
  end
end
local expired = #items - #live
live[#live + 1] = entry
local dropped = math.max(0, #live - max)
if expired == 0 then
  redis.call('RPUSH', KEYS[1], entry)
  if dropped > 0 then redis.call('LTRIM', KEYS[1], dropped, -1) end
else
  redis.call('DEL', KEYS[1])
  for i = dropped + 1, #live, 1000 do
    redis.call('RPUSH', KEYS[1], unpack(live, i, math.min(i + 999, #live)))
  end
end
local latest = tonumber(ARGV[5])
for i = dropped + 1, #live do
  local expiry = tonumber(string.match(live[i], '^(%d+):'))
  if expiry > latest then latest = expiry end
end
redis.call('PEXPIRE', KEYS[1], string.format('%d', latest - now + tonumber(ARGV[6])))
return dropped
)lua";
}

std::string offline_take() {
  return R"lua(
local items = redis.call('LRANGE', KEYS[1], 0, -1)
if #items == 0 then return {} end
redis.call('DEL', KEYS[1])
local now = tonumber(ARGV[1])
local live = {}
for _, item in ipairs(items) do
  local expiry = string.match(item, '^(%d+):')
  if expiry and tonumber(expiry) > now then live[#live + 1] = item end
end
return live
)lua";
}

std::string rate_take() {
  // Line by line TokenBucket::charge (token_bucket.cpp): the same operations on the same
  // doubles give the same results. Elapsed seconds are exact integers divided once, as
  // duration<double> does with nanoseconds; kSlack is 1e-9 there too. A take the bucket
  // cannot cover was admitted by a node on a stale view: it is charged as a debt.
  return R"lua(
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 't', 'l')
local tokens, last = burst, now
if state[1] and state[2] then
  tokens, last = tonumber(state[1]), tonumber(state[2])
end
local elapsed = 0
if now > last then elapsed = (now - last) / 1000 end
tokens = math.min(burst, tokens + elapsed * math.max(rate, 0))
last = math.max(last, now)
local allowed = 0
if tokens + 1e-9 >= cost then
  tokens = math.max(tokens - cost, 0)
  allowed = 1
else
  tokens = tokens - cost
end
local text = string.format('%.17g', tokens)
redis.call('HSET', KEYS[1], 't', text, 'l', string.format('%d', last))
local ttl = tonumber(ARGV[6])
if rate > 0 then ttl = math.min(ttl, math.ceil((burst - tokens) / rate * 1000)) end
redis.call('PEXPIRE', KEYS[1], string.format('%d', ttl + tonumber(ARGV[5])))
return {allowed, text, last}
)lua";
}

}  // namespace switchboard::engine::redis::scripts
