#pragma once
// Every error code the gateway shows a client or a backend, in one place: the `code` of the
// `error` envelope (native and Socket.IO alike), and that of the server API's JSON error bodies.
// docs/protocol.md says when each is sent; tests/unit/node/catalogue_docs_test.cpp keeps the two
// in step. The codes of `auth.error` are auth::to_string(AuthError)'s, plus auth_error_code's.
// Close codes: close_codes.hpp (the gateway's) and switchboard/ws/close_code.hpp (the transport's).
#include <string_view>

namespace switchboard::node::error_code {

// A message that is not valid JSON.
inline constexpr std::string_view kBadJson = "bad_json";
// An envelope or payload without what its type needs, or with a field of the wrong type.
inline constexpr std::string_view kBadRequest = "bad_request";
// Anything but `auth` or `ping` before authentication.
inline constexpr std::string_view kNotAuthenticated = "not_authenticated";
// A custom type with no handler and no upstream buffer.
inline constexpr std::string_view kUnknownType = "unknown_type";
// A channel name that is not valid (empty, too long, control characters, leading `$`).
inline constexpr std::string_view kBadChannel = "bad_channel";
// A channel the connection may not join or publish to, or a type reserved for the server.
inline constexpr std::string_view kForbidden = "forbidden";
// Typing in a channel the connection has not joined.
inline constexpr std::string_view kNotSubscribed = "not_subscribed";
// A subscribe over max_subscriptions.
inline constexpr std::string_view kTooManySubscriptions = "too_many_subscriptions";
// Over the connection's or the user's token bucket (the error carries retry_after_ms).
inline constexpr std::string_view kRateLimited = "rate_limited";
// The upstream event buffer is full, or the node is stopping.
inline constexpr std::string_view kBufferFull = "buffer_full";
// Over max_pending_acks: the oldest unacknowledged message is no longer retried.
inline constexpr std::string_view kAckOverflow = "ack_overflow";
// An `auth` while one is checked, or too many messages before the first was answered.
inline constexpr std::string_view kAuthInProgress = "auth_in_progress";
// The shared state (history, presence, snapshot, the broker) could not answer.
inline constexpr std::string_view kUnavailable = "unavailable";
// A refreshed token naming another user (then close 4001).
inline constexpr std::string_view kUserMismatch = "user_mismatch";
// The token expired and was not refreshed (then close 4002).
inline constexpr std::string_view kTokenExpired = "token_expired";
// A binary message on the native protocol.
inline constexpr std::string_view kUnsupported = "unsupported";
// A client publish the broker failed to take.
inline constexpr std::string_view kPublishFailed = "publish_failed";

}  // namespace switchboard::node::error_code

// The codes of `auth.error` beside auth::to_string(AuthError)'s (the authenticators' verdicts).
namespace switchboard::node::auth_error_code {

// A user over max_connections_per_user (then close 4003); also the code of the 429 body that
// refuses an upgrade from an address over max_connections_per_ip.
inline constexpr std::string_view kTooManyConnections = "too_many_connections";

}  // namespace switchboard::node::auth_error_code

// The server API's error bodies, {"error":{"code","message"}} (http::Response::error).
namespace switchboard::node::api_error_code {

// 403: the API is disabled (no api_key configured).
inline constexpr std::string_view kApiDisabled = "api_disabled";
// 401: a missing or wrong API key.
inline constexpr std::string_view kUnauthorized = "unauthorized";
// 400: a malformed body or field.
inline constexpr std::string_view kBadRequest = "bad_request";
// 503: the engine could not read or write the state asked for (presence, users, snapshot).
inline constexpr std::string_view kUnavailable = "unavailable";
// 503: the broker did not take a publish or a broadcast.
inline constexpr std::string_view kPublishFailed = "publish_failed";
// 503: the engine did not take a send to a user.
inline constexpr std::string_view kSendFailed = "send_failed";

}  // namespace switchboard::node::api_error_code
