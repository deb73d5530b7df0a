// EVALSHA with one reload on NOSCRIPT. See redis_script.hpp.
#include "redis_script.hpp"

#include <openssl/sha.h>

#include <utility>
#include <vector>

namespace switchboard::engine::redis {
namespace {

std::string sha1_hex(std::string_view text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * SHA_DIGEST_LENGTH);
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

bool is_noscript(const std::error_code& ec, const RedisReply& reply) {
  return ec == RedisErrc::error_reply && reply.str.rfind("NOSCRIPT", 0) == 0;
}

// The arguments of one call, owned: a retry re-sends them after the caller's views are gone.
struct Call {
  std::vector<std::string> owned;  // "EVALSHA", sha, numkeys, keys..., args...
  std::vector<std::string_view> views;
  RedisConnection::Callback done;
};

}  // namespace

RedisScript::RedisScript(std::string body) : state_(std::make_shared<State>()) {
  state_->sha1 = sha1_hex(body);
  state_->body = std::move(body);
}

void RedisScript::load(RedisConnection& conn, RedisConnection::Callback done) const {
  conn.command({"SCRIPT", "LOAD", state_->body}, std::move(done));
}

void RedisScript::run(RedisConnection& conn, std::span<const std::string_view> keys,
                      std::span<const std::string_view> args,
                      RedisConnection::Callback done) const {
  auto call = std::make_shared<Call>();
  call->owned.reserve(3 + keys.size() + args.size());
  call->owned.emplace_back("EVALSHA");
  call->owned.push_back(state_->sha1);
  call->owned.push_back(std::to_string(keys.size()));
  for (auto k : keys) call->owned.emplace_back(k);
  for (auto a : args) call->owned.emplace_back(a);
  call->views.assign(call->owned.begin(), call->owned.end());
  call->done = std::move(done);
  conn.command(call->views, [&conn, call, state = state_](std::error_code ec, RedisReply reply) {
    if (!is_noscript(ec, reply)) {
      if (call->done) call->done(ec, std::move(reply));
      return;
    }
    ++state->reloads;
    // Pipelined: the EVALSHA runs after the load on this connection. The load's own result
    // does not matter; the EVALSHA reports whatever went wrong.
    conn.command({"SCRIPT", "LOAD", state->body}, nullptr);
    conn.command(call->views, [call](std::error_code ec2, RedisReply reply2) {
      if (call->done) call->done(ec2, std::move(reply2));
    });
  });
}

}  // namespace switchboard::engine::redis
