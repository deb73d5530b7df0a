#pragma once
// The Lua scripts of the Redis presence store, node registry, offline store and rate limiter
// (docs/engine.md, "The Redis stores", has the key table). Each runs atomically on one shard:
// Redis runs a script to completion with no other command in between.
//
// Common rules:
// - Time is the logical clock: `now_ms` and expiries come in ARGV (RedisContext::now_ms());
//   a script never reads Redis's clock. An entry is live while now < its expiry (ZSET scores
//   and stored expiries are milliseconds).
// - Every key a script writes gets a Redis TTL, only ever raised by entries (never lowered
//   below what another entry of the key needs): it is garbage collection, logical ttl +
//   gc_slack, never what decides expiry.
// - Replies hold integers and strings only (Lua numbers are truncated to integers on the way
//   out, and an array stops at its first nil): fractional values go out as strings.
#include <string>

namespace switchboard::engine::redis::scripts {

// The presence scripts first drop the channel's expired entries from pz, pi and the per-user
// counts pn:<ch> (HASH user → entries), so that the counts are of live entries.
// KEYS pz:<ch>, pi:<ch>, pn:<ch>, uo:<user>; ARGV client, entry (put_field user, node),
// expiry_ms, gc_ttl_ms, member (the user-online member of this client in this channel),
// "<P>uo:", user, now_ms. A client now speaking for another user leaves that user's uo set and
// count. Returns the other live entries of the user in the channel.
std::string presence_add();
// KEYS pz:<ch>, pi:<ch>, pn:<ch>; ARGV client, member, "<P>uo:", now_ms. Returns the live
// entries of the client's user left in the channel (0 for a client without a live entry).
std::string presence_remove();
// KEYS pz:<ch>, pi:<ch>, pn:<ch>; ARGV now_ms. Drops expired clients, returns [client, entry,
// ...] of the live ones.
std::string presence_members();
// KEYS a ZSET; ARGV expiry_ms, member, gc_ttl_ms: ZADD and raise the TTL (touch_user in
// uo:<user>). Returns 1.
std::string zset_refresh();
// KEYS rc:<user>; ARGV member (put_field node, then the connection id), expiry_ms, gc_ttl_ms,
// now_ms, limit. Drops the expired leases; adds the member if fewer than `limit` are live, or
// refreshes it if it is one of them. Returns [admitted 0/1, live leases after].
std::string registry_add();
// KEYS of:<user>; ARGV now_ms, max_messages (> 0), id, entry, expiry_ms, gc_slack_ms. Entries
// are "<expiry_ms>:" put_field(id) positioned-publication. Returns how many live messages
// were dropped; 0 without change when a live entry has the same non-empty id.
std::string offline_push();
// KEYS of:<user>; ARGV now_ms. Deletes the list, returns its live entries oldest first.
std::string offline_take();
// KEYS rl:<key>; ARGV rate_per_second, burst, cost, now_ms, gc_slack_ms, max_ttl_ms. A take a
// node already admitted, charged to the shared bucket: TokenBucket::charge of
// src/engine/token_bucket.cpp, in the same doubles (a take the bucket cannot cover leaves a
// debt). HASH t (tokens, "%.17g"), l (last refill ms). Returns [covered 0/1, tokens as text,
// l].
std::string rate_take();

}  // namespace switchboard::engine::redis::scripts
