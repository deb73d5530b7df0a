#pragma once
// The Lua scripts of the channel streams (docs/redis-engine-plan.md 2.1, 2.2; docs/engine.md
// "Redis engine: Broker and History").
//
// Keys of a channel: KEYS[1] = `P hs:<ch>`, a STREAM whose entry IDs are the offsets
// ("<offset>-0") with one field `d` = encode_body(publication); KEYS[2] = `P hm:<ch>`, a HASH
// with `e` epoch, `s` top offset, `x` logical expiry (ms, from the caller's clock) and `r` the
// run_id of the Redis server that wrote it.
//
// Both scripts start with the same ARGV: [1] now_ms, [2] a new epoch (used only when a new
// stream starts: no randomness in Lua), [3] the server's run_id. A stream is live when its
// meta hash exists, `x > now` and `r` is this server's run_id; otherwise the scripts start a
// new one (DEL the stream, new epoch, offset 0). That one rule covers the TTL, remove(),
// eviction of either key, and a Redis restart or failover (a restored snapshot may be older
// than what clients saw, so its offsets must not be trusted under the old epoch).
//
// append_script(), ARGV [4] ttl_ms, [5] size, [6] Redis TTL of both keys (ms, ttl + gc_slack),
//   [7] body, [8] Pub/Sub channel or "", [9] dedupe window (ms), [10] its Redis TTL (ms,
//   window + gc_slack) → {offset, epoch}. Offset + 1, `x = now + ttl`; size > 0: XADD with
//   that ID, MAXLEN size (exact trim); size 0: nothing kept (DEL). With a channel, PUBLISHes
//   "<offset>:<epoch>:" + body in the same step: Pub/Sub order is offset order, whoever
//   published.
//   Idempotency (the Broker contract): with a third key, KEYS[3] = `P hr:<slot>` (slot:
//   idempotency_slot(channel, key), publication.hpp), a STRING "<expires_ms>:<offset>:<epoch>"
//   (expiry by the caller's clock, as the streams' `x`): while it is live the script returns
//   {offset, epoch, 1} from it and changes nothing; else it writes it (now + window) after the
//   append and the PUBLISH, so a script that failed on the way leaves no key.
// publish_once_script(): a publish without history but with an idempotency key. KEYS[1] =
//   `P hr:<slot>`; ARGV [1] now_ms, [2] Pub/Sub channel, [3] message, [4] window (ms), [5] its
//   Redis TTL (ms), [6] offset and [7] epoch the message carries → {offset, epoch} after
//   PUBLISH and writing the key, or {offset, epoch, 1} of the first as above (no PUBLISH).
// claim_key_script(): the key alone, for a broker whose transport is another server
//   (redis_publish_keys.hpp). KEYS[1] = `P hr:<slot>`; ARGV [1] now_ms, [2] window (ms), [3] its
//   Redis TTL (ms), [4] offset, [5] epoch → {offset, epoch} once written, or {offset, epoch, 1}
//   of the live key's holder as above.
// release_key_script(): KEYS[1] = `P hr:<slot>`; ARGV [1] ":<offset>:<epoch>" → 1 after DEL
//   when the key still holds that position (ours), else 0 and nothing changes.
// read_script(), ARGV [4] since offset or "" (none), [5] since epoch, [6] limit (> 0 or 0),
//   [7] logical TTL of a stream it starts (ms), [8] that stream's Redis TTL (ms)
//   → {top, epoch, recovered 0|1, id1, body1, id2, body2, ...} oldest first. Touches no TTL of
//   a live stream: a read never extends its life.
#include <string>

namespace switchboard::engine::redis {

std::string append_script();
std::string publish_once_script();
std::string claim_key_script();
std::string release_key_script();
std::string read_script();

}  // namespace switchboard::engine::redis
