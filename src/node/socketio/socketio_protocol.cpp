#include "socketio_protocol.hpp"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <charconv>
#include <limits>

#include "error_codes.hpp"
#include "node.hpp"
#include "switchboard/protocol/json_check.hpp"
#include "switchboard/protocol/json_writer.hpp"
#include "switchboard/socketio/binary_attachments.hpp"
#include "switchboard/socketio/engine_io.hpp"
#include "switchboard/socketio/socket_io.hpp"
#include "switchboard/ws/frame_builder.hpp"

namespace switchboard::node {
namespace {

using socketio::SioType;

constexpr std::string_view kEmptyObject = "{}";

std::optional<std::uint64_t> parse_id(std::string_view text) {
  std::uint64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

// The event name of a publication: its type (a raw publication without one: "message").
std::string_view event_name(const engine::Publication& p) {
  return p.type.empty() ? std::string_view("message") : std::string_view(p.type);
}

// What decode() results view, valid until the next decode on the same thread (as Protocol
// allows): one per worker thread rather than per session, so that an idle connection keeps none.
struct DecodeScratch {
  std::string name;
  std::string id_text;
  std::string payload;
};

DecodeScratch& decode_scratch() {
  thread_local DecodeScratch scratch;
  return scratch;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Publications

SocketIoFrames::SocketIoFrames(std::string nsp, bool deflate, std::size_t deflate_min_size)
    : nsp_(std::move(nsp)),
      deflater_(deflate ? std::make_unique<ws::Deflater>() : nullptr),
      deflate_min_size_(deflate_min_size) {}

const ws::OutboundMessage& SocketIoFrames::frame(const DeliveryPtr& delivery) {
  if (delivery == last_) return message_;
  const engine::Publication& p = *delivery->publication;
  std::string text;
  text.reserve(p.type.size() + p.payload.size() + nsp_.size() + 32);
  socketio::begin_eio_message(text);
  std::optional<std::uint64_t> id;
  if (delivery->ack_number != 0) id = delivery->ack_number;
  // A raw publication's payload is its backend's own text: JSON goes as the event's argument,
  // anything else as a string.
  std::string quoted;
  std::string_view payload = p.payload;
  if (p.raw && protocol::check_json(payload) != protocol::JsonCheck::valid) {
    protocol::append_json_string(quoted, payload);
    payload = quoted;
  }
  const std::array<std::string_view, 1> args{payload};
  const auto arguments = payload.empty() ? std::span<const std::string_view>()
                                         : std::span<const std::string_view>(args);
  attachments_.clear();
  // Binary values ({"$binary": base64}, as binary attachments reach the gateway) go back to
  // Socket.IO clients as attachments; the search is skipped for payloads without any.
  std::vector<std::string> binary;
  if (payload.find("\"$binary\"") == std::string_view::npos ||
      socketio::encode_binary_event(text, binary, nsp_, id, event_name(p), arguments) !=
          socketio::BinaryEncoding::binary) {
    socketio::append_event(text, nsp_, id, event_name(p), arguments);
  }
  for (const auto& bytes : binary) {
    attachments_.push_back(ws::build_frame(ws::Opcode::binary, bytes));
  }
  // Held as this thread's view (the frames never leave the worker): each recipient's copy is
  // then counted without a locked instruction, as a native fan-out's are.
  message_ = ws::build_message(ws::Opcode::text, text, deflater_.get(), deflate_min_size_)
                 .for_recipients(std::numeric_limits<std::size_t>::max());
  last_ = delivery;
  return message_;
}

// ---------------------------------------------------------------------------------------
// Client messages

Decoded SocketIoProtocol::decode(std::string_view text) {
  Decoded out;
  // Binary packets arrive assembled (the Engine.IO connection collects their attachments).
  const socketio::SioParse parsed = socketio::parse_sio(text, 0);
  if (!parsed.ok()) {
    out.kind = Decoded::Kind::malformed;
    out.error_code = parsed.error == socketio::SioError::bad_json ? error_code::kBadJson
                                                                  : error_code::kBadRequest;
    out.detail = parsed.detail;
    return out;
  }
  const socketio::SioPacket& packet = parsed.packet;
  DecodeScratch& scratch = decode_scratch();
  if (packet.id) {
    scratch.id_text = std::to_string(*packet.id);
    out.envelope.id = scratch.id_text;
  }
  switch (packet.type) {
    case SioType::event:
    case SioType::binary_event: {
      std::vector<std::string_view> args;
      std::string_view name;
      if (!socketio::split_event(packet.data, scratch.name, name, args)) {
        out.kind = Decoded::Kind::malformed;
        out.error_code = error_code::kBadRequest;
        out.detail = "an event is an array whose first element is its name";
        return out;
      }
      out.envelope.type = name;
      // One argument is the payload; several are the array of them.
      if (args.size() == 1) {
        out.envelope.payload = args.front();
      } else if (args.size() > 1) {
        std::string& payload = scratch.payload;
        payload.clear();
        payload.push_back('[');
        for (std::size_t i = 0; i < args.size(); ++i) {
          if (i != 0) payload.push_back(',');
          payload.append(args[i]);
        }
        payload.push_back(']');
        out.envelope.payload = payload;
      }
      if (packet.id) {
        if (!pending_acks_) pending_acks_ = std::make_unique<std::vector<std::uint64_t>>();
        auto& pending = *pending_acks_;
        if (std::find(pending.begin(), pending.end(), *packet.id) == pending.end()) {
          if (pending.size() >= kMaxPendingAcks) pending.erase(pending.begin());
          pending.push_back(*packet.id);
        }
      }
      return out;
    }
    case SioType::ack:
    case SioType::binary_ack:
      // The client acknowledging one of the server's events: numbered by Delivery::ack_number.
      if (!packet.id) {
        out.kind = Decoded::Kind::malformed;
        out.error_code = error_code::kBadRequest;
        out.detail = "an ack needs an id";
        return out;
      }
      out.envelope.type = "ack";
      return out;
    case SioType::disconnect:
      out.kind = Decoded::Kind::leave;
      return out;
    case SioType::connect:  // already connected: the reference ignores it too
      out.kind = Decoded::Kind::ignored;
      return out;
    case SioType::connect_error:
      break;
  }
  out.kind = Decoded::Kind::malformed;
  out.error_code = error_code::kBadRequest;
  out.detail = "CONNECT_ERROR is the server's packet";
  return out;
}

// ---------------------------------------------------------------------------------------
// Server messages

bool SocketIoProtocol::take_pending(std::string_view id) {
  const auto number = parse_id(id);
  if (!number || !pending_acks_) return false;
  auto it = std::find(pending_acks_->begin(), pending_acks_->end(), *number);
  if (it == pending_acks_->end()) return false;
  pending_acks_->erase(it);
  return true;
}

void SocketIoProtocol::write_event(std::string& out, std::string_view type,
                                   std::string_view payload) {
  if (!out.empty()) out.push_back(socketio::kEioRecordSeparator);
  socketio::begin_eio_message(out);
  const std::array<std::string_view, 1> args{payload};
  socketio::append_event(out, nsp(), std::nullopt, type,
                         payload.empty() ? std::span<const std::string_view>()
                                         : std::span<const std::string_view>(args));
}

void SocketIoProtocol::encode(std::string& out, const Outgoing& message) {
  if (!connected_) {
    // Before the namespace is connected a Socket.IO client takes nothing but the CONNECT
    // answer: the native greeting has no equivalent, and the authentication's outcome is
    // that answer — a refusal here, a success once the session starts (encode_started, which
    // follows the first auth.success at once).
    if (message.type != "auth.error") return;
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(message.payload, ec);
    std::string_view text = "authentication failed";
    std::string data;
    if (!ec && v.is_object()) {
      const auto& o = v.as_object();
      if (const auto* m = o.if_contains("message"); m && m->is_string()) text = m->as_string();
      if (const auto* c = o.if_contains("code"); c && c->is_string()) {
        protocol::JsonObject(data).string("code", c->as_string()).close();
      }
    }
    socketio::begin_eio_message(out);
    socketio::append_connect_error(out, nsp(), text, data);
    return;
  }
  // A snapshot names its channel beside its payload.
  std::string wrapped;
  std::string_view payload = message.payload;
  if (!message.channel.empty()) {
    protocol::JsonObject(wrapped).string("channel", message.channel).raw("payload", payload).close();
    payload = wrapped;
  }
  if (!message.reply_to.empty()) {
    if (const auto id = parse_id(message.reply_to); id && take_pending(message.reply_to)) {
      const std::array<std::string_view, 1> args{payload.empty() ? kEmptyObject : payload};
      if (!out.empty()) out.push_back(socketio::kEioRecordSeparator);
      socketio::begin_eio_message(out);
      socketio::append_ack(out, nsp(), *id, args);
      return;
    }
  }
  write_event(out, message.type, payload);
}

void SocketIoProtocol::encode_error(std::string& out, std::string_view payload,
                                    std::string_view ref) {
  if (!connected_) return;  // nothing reaches a client before its CONNECT answer
  if (const auto id = parse_id(ref); id && take_pending(ref)) {
    std::string error;
    protocol::JsonObject(error).raw("error", payload).close();
    const std::array<std::string_view, 1> args{error};
    socketio::begin_eio_message(out);
    socketio::append_ack(out, nsp(), *id, args);
    return;
  }
  write_event(out, "error", payload);
}

void SocketIoProtocol::encode_started(std::string& out, const SessionInfo& info) {
  if (connected_) return;
  connected_ = true;
  // The namespace's CONNECT answer, then the `connected` event {user_id, session_id}.
  if (!out.empty()) out.push_back(socketio::kEioRecordSeparator);
  socketio::begin_eio_message(out);
  socketio::append_connect(out, nsp(), info.session_id);
  std::string payload;
  protocol::JsonObject(payload)
      .string("user_id", info.user_id)
      .string("session_id", info.session_id)
      .close();
  write_event(out, "connected", payload);
}

const ws::OutboundMessage& SocketIoProtocol::publication(const DeliveryPtr& delivery) {
  return frames_.frame(delivery);
}

std::span<const ws::SharedFrame> SocketIoProtocol::attachments(const DeliveryPtr& delivery) {
  frames_.frame(delivery);  // the same delivery: nothing is encoded again
  return frames_.attachments();
}

std::string SocketIoProtocol::ack_key(const Delivery& delivery) const {
  return std::to_string(delivery.ack_number);
}

}  // namespace switchboard::node
