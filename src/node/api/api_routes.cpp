#include "api_routes.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "api_key.hpp"
#include "channel_name.hpp"
#include "close_codes.hpp"
#include "error_codes.hpp"
#include "node.hpp"
#include "snapshots.hpp"
#include "switchboard/http/router.hpp"
#include "switchboard/http/url.hpp"
#include "switchboard/protocol/json_fields.hpp"
#include "switchboard/protocol/json_writer.hpp"
#include "switchboard/ws/close_code.hpp"

namespace switchboard::node {
namespace {

using http::Request;
using http::Respond;
using http::Response;
using protocol::JsonFields;

// The engine could not answer: nothing was done, the caller may retry.
Response unavailable(std::error_code ec) {
  return Response::error(503, api_error_code::kUnavailable,
                         "the server's state is unavailable: " + ec.message());
}

// The broker or the store did not take a write (`code` names which): nothing was done.
Response not_taken(std::string_view code, std::error_code ec) {
  return Response::error(503, code, ec.message());
}

Response bad_request(std::string_view message) {
  return Response::error(400, api_error_code::kBadRequest, message);
}

// Parses a JSON object body; on failure answers 400 and returns nullopt.
std::optional<JsonFields> body_fields(const Request& request, const Respond& respond) {
  std::string_view why;
  auto fields = JsonFields::parse(request.body, &why);
  if (!fields) respond(bad_request(std::string(why)));
  return fields;
}

// The common fields of an event: type (default message.new), payload (any JSON, required),
// id, requires_ack. Returns an error message, or empty when valid.
std::string read_message(const JsonFields& f, Message& out) {
  if (f.has("type")) {
    auto type = f.string("type");
    if (!type || type->empty()) return "type must be a non-empty string";
    out.type = *type;
  }
  const std::string* payload = f.raw("payload");
  if (payload == nullptr) return "payload is required";
  out.payload = *payload;
  if (f.has("id")) {
    auto id = f.string("id");
    if (!id) return "id must be a string";
    out.id = *id;
  }
  if (f.has("requires_ack")) {
    auto ack = f.boolean("requires_ack");
    if (!ack) return "requires_ack must be a boolean";
    out.requires_ack = *ack;
  }
  return {};
}

std::string position_json(const engine::Publication& p) {
  std::string out;
  protocol::JsonObject o(out);
  o.string("channel", p.channel).number("offset", p.offset).string("epoch", p.epoch);
  if (!p.id.empty()) o.string("id", p.id);
  o.close();
  return out;
}

}  // namespace

http::Handler with_api_key(const Node& node, http::Handler handler) {
  return [&node, handler = std::move(handler)](const Request& request, Respond respond) {
    const std::string& key = node.config().api_key;
    if (key.empty()) {
      return respond(
          Response::error(403, api_error_code::kApiDisabled, "the server API needs api_key set"));
    }
    constexpr std::string_view kScheme = "apikey ";
    const std::string_view header = request.header("Authorization");
    if (header.size() <= kScheme.size() || header.substr(0, kScheme.size()) != kScheme ||
        !api_key_matches(header.substr(kScheme.size()), key)) {
      Response response =
          Response::error(401, api_error_code::kUnauthorized, "missing or wrong API key");
      response.headers.emplace_back("WWW-Authenticate", "apikey");
      return respond(std::move(response));
    }
    handler(request, std::move(respond));
  };
}

void add_api_routes(Node& node) {
  http::Router& router = node.server().router();

  router.add("POST", "/api/publish", with_api_key(node, [&node](const Request& request, Respond respond) {
    auto f = body_fields(request, respond);
    if (!f) return;
    auto channel = f->string("channel");
    if (!channel || !valid_channel_name(*channel)) {
      return respond(bad_request("channel must be a valid channel name"));
    }
    Message message;
    if (auto error = read_message(*f, message); !error.empty()) return respond(bad_request(error));
    node.publish(make_publication(*channel, std::move(message)),
                 [respond](std::error_code ec, engine::PublicationPtr stored) {
                   if (ec) return respond(not_taken(api_error_code::kPublishFailed, ec));
                   respond(Response::json(200, position_json(*stored)));
                 });
  }));

  router.add("POST", "/api/broadcast", with_api_key(node, [&node](const Request& request, Respond respond) {
    auto f = body_fields(request, respond);
    if (!f) return;
    Message message;
    if (auto error = read_message(*f, message); !error.empty()) return respond(bad_request(error));
    // Answered once the broker took it: never a 2xx for a broadcast that went nowhere.
    node.broadcast(std::move(message), [respond](std::error_code ec) {
      if (ec) return respond(not_taken(api_error_code::kPublishFailed, ec));
      respond(Response::json(202, R"({"status":"accepted"})"));
    });
  }));

  router.add("POST", "/api/send", with_api_key(node, [&node](const Request& request, Respond respond) {
    auto f = body_fields(request, respond);
    if (!f) return;
    auto user = f->string("user_id");
    if (!user || user->empty()) return respond(bad_request("user_id must be a non-empty string"));
    Message message;
    if (auto error = read_message(*f, message); !error.empty()) return respond(bad_request(error));
    node.send_to_user(*user, std::move(message), [respond](std::error_code ec, bool now) {
      if (ec) return respond(not_taken(api_error_code::kSendFailed, ec));
      respond(Response::json(200, now ? R"({"status":"sent"})" : R"({"status":"stored_offline"})"));
    });
  }));

  router.add("GET", "/api/presence", with_api_key(node, [&node](const Request& request, Respond respond) {
    auto channel = request.query_param("channel");
    if (!channel || !valid_channel_name(*channel)) {
      return respond(bad_request("query parameter channel is required"));
    }
    node.engine().presence->members(
        *channel, [respond, channel = *channel](std::error_code ec,
                                                std::vector<engine::PresenceEntry> members) {
          if (ec) return respond(unavailable(ec));
          std::string list = "[";
          for (const auto& m : members) {
            if (list.size() > 1) list.push_back(',');
            protocol::JsonObject(list)
                .string("user_id", m.user_id)
                .string("session_id", m.client_id)
                .string("node", m.node_id)
                .close();
          }
          list.push_back(']');
          std::string body;
          protocol::JsonObject(body).string("channel", channel).raw("members", list).close();
          respond(Response::json(200, std::move(body)));
        });
  }));

  router.add("GET", "/api/channels", with_api_key(node, [&node](const Request&, Respond respond) {
    std::string list = "[";
    for (const auto& name : node.active_channels()) {
      if (list.size() > 1) list.push_back(',');
      protocol::append_json_string(list, name);
    }
    list.push_back(']');
    std::string body;
    protocol::JsonObject(body).raw("channels", list).close();
    respond(Response::json(200, std::move(body)));
  }));

  router.add("GET", "/api/users/*", with_api_key(node, [&node](const Request& request, Respond respond) {
    const std::string_view path = request.path();
    const std::string user = http::percent_decode(path.substr(std::string_view("/api/users/").size()));
    if (user.empty()) return respond(bad_request("user id missing from the path"));
    const std::size_t here = node.user_connection_count(user);
    // Connected means a live registry lease on some node (presence entries linger for
    // presence_ttl after a connection closes). This node's own connections are counted even if
    // their leases could not be written yet (the registry was unreachable when they came).
    node.engine().registry->connection_count(
        user, [respond, user, here](std::error_code ec, std::size_t everywhere) {
          if (ec) return respond(unavailable(ec));
          const std::size_t connections = std::max(everywhere, here);
          std::string body;
          protocol::JsonObject(body)
              .string("user_id", user)
              .boolean("online", connections > 0)
              .number("connections", connections)
              .close();
          respond(Response::json(200, std::move(body)));
        });
  }));

  router.add("POST", "/api/disconnect", with_api_key(node, [&node](const Request& request, Respond respond) {
    auto f = body_fields(request, respond);
    if (!f) return;
    auto user = f->string("user_id");
    if (!user || user->empty()) return respond(bad_request("user_id must be a non-empty string"));
    std::uint16_t code = close_code::kDisconnected;
    if (f->has("code")) {
      auto c = f->uint("code");
      if (!c || *c < 4000 || *c > 4999) return respond(bad_request("code must be in 4000..4999"));
      code = static_cast<std::uint16_t>(*c);
    }
    std::string reason = "disconnected by the server";
    if (f->has("reason")) {
      auto r = f->string("reason");
      if (!r) return respond(bad_request("reason must be a string"));
      reason = *r;
    }
    node.disconnect_user(*user, code, reason);
    respond(Response::json(202, R"({"status":"accepted"})"));
  }));

  router.add("POST", "/api/snapshot", with_api_key(node, [&node](const Request& request, Respond respond) {
    auto f = body_fields(request, respond);
    if (!f) return;
    auto channel = f->string("channel");
    if (!channel || !valid_channel_name(*channel)) {
      return respond(bad_request("channel must be a valid channel name"));
    }
    const std::string* payload = f->raw("payload");
    if (payload == nullptr) return respond(bad_request("payload is required"));
    // Answered once the engine's store holds it (after snapshot_interval when the channel's
    // previous state was written less than that ago): 503 when the store could not take it.
    node.snapshots().set(*channel, *payload, [respond](std::error_code ec) {
      if (ec) return respond(unavailable(ec));
      respond(Response::json(200, R"({"status":"stored"})"));
    });
  }));
}

}  // namespace switchboard::node
