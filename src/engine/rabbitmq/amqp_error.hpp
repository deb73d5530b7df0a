#pragma once
// What went wrong in a librabbitmq call, as text for /health and the logs: the server's
// reply code and text ("404 NOT_FOUND - no queue 'posts' in vhost '/'") or the library's
// status ("a socket error occurred"). Never contains credentials: the server's texts name
// queues, exchanges and the mechanism, not passwords.
#include <amqp.h>

#include <string>

namespace switchboard::engine::rabbitmq {

std::string describe(const amqp_rpc_reply_t& reply);
std::string describe_status(int status);  // an amqp_status_enum (negative)

// The server's reply code of a channel.close or connection.close, else 0.
int reply_code(const amqp_rpc_reply_t& reply);
// The server closed the connection (connection.close), or the library lost it.
bool connection_lost(const amqp_rpc_reply_t& reply);

}  // namespace switchboard::engine::rabbitmq
