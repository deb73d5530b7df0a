#include "switchboard/socketio/socket_io.hpp"

#include <array>
#include <charconv>

#include "json_walk.hpp"
#include "switchboard/protocol/json_check.hpp"
#include "switchboard/protocol/json_writer.hpp"

namespace switchboard::socketio {
namespace {

constexpr std::array<std::string_view, 6> kReservedEventNames = {
    "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads the decimal digits at `text[i]...`, advancing `i`; nullopt (and `i` past the digits)
// when the number exceeds `limit`.
std::optional<std::uint64_t> read_decimal(std::string_view text, std::size_t& i,
                                          std::uint64_t limit) {
  std::uint64_t value = 0;
  bool fits = true;
  for (; i < text.size() && is_digit(text[i]); ++i) {
    const auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (fits && (digit > limit || value > (limit - digit) / 10)) fits = false;
    if (fits) value = value * 10 + digit;
  }
  if (!fits) return std::nullopt;
  return value;
}

SioParse fail(SioParse parse, SioError error, std::string_view detail) {
  parse.error = error;
  parse.detail = detail;
  return parse;
}

// The first non-space character of valid JSON text tells its type.
char json_kind(std::string_view json) {
  const std::string_view trimmed = detail::trim_json(json);
  return trimmed.empty() ? '\0' : trimmed.front();
}

bool is_event(SioType type) {
  return type == SioType::event || type == SioType::binary_event;
}

// The shape rule of the reference decoder for `data` (valid JSON, or empty for none): the
// detail sentence when it breaks it, empty when it keeps it.
std::string_view payload_problem(SioType type, std::string_view data) {
  const char kind = data.empty() ? '\0' : json_kind(data);
  switch (type) {
    case SioType::connect:
      return kind == '\0' || kind == '{' ? "" : "CONNECT data must be an object";
    case SioType::disconnect:
      return data.empty() ? "" : "DISCONNECT carries no data";
    case SioType::connect_error:
      return kind == '\0' || kind == '{' || kind == '"'
                 ? ""
                 : "CONNECT_ERROR data must be an object or a string";
    case SioType::ack:
    case SioType::binary_ack:
      return kind == '\0' || kind == '[' ? "" : "ACK data must be an array";
    case SioType::event:
    case SioType::binary_event: {
      if (kind != '[') return "EVENT data must be an array";
      const auto first_element = detail::json_first_element(data);
      if (!first_element) return "EVENT data must start with the event name";
      const char first = json_kind(*first_element);
      if (first == '-' || is_digit(first)) return "";
      if (first != '"') return "the event name must be a string";
      constexpr std::string_view kReserved = "the event name is reserved";
      // Names without escapes (nearly all) are compared in place, without a copy.
      const std::string_view literal = *first_element;
      if (literal.find('\\') == std::string_view::npos) {
        return is_reserved_event_name(literal.substr(1, literal.size() - 2)) ? kReserved : "";
      }
      const auto name = detail::json_string_value(literal);
      if (!name) return "the event name must be a string";
      return is_reserved_event_name(*name) ? kReserved : "";
    }
  }
  return "unknown packet type";
}

}  // namespace

bool is_reserved_event_name(std::string_view name) {
  for (const std::string_view reserved : kReservedEventNames) {
    if (name == reserved) return true;
  }
  return false;
}

SioParse parse_sio(std::string_view text, std::size_t max_attachments) {
  SioParse parse;
  SioPacket& p = parse.packet;
  if (text.empty() || text[0] < '0' || text[0] > '6') {
    return fail(parse, SioError::bad_type, "unknown Socket.IO packet type");
  }
  p.type = static_cast<SioType>(text[0] - '0');
  std::size_t i = 1;
  if (p.type == SioType::binary_event || p.type == SioType::binary_ack) {
    const std::size_t start = i;
    const auto count = read_decimal(text, i, max_attachments);
    if (i == start || i == text.size() || text[i] != '-') {
      return fail(parse, SioError::bad_attachments,
                  "a binary packet needs its attachment count and '-'");
    }
    if (!count || *count == 0 || *count > max_attachments) {
      return fail(parse, SioError::bad_attachments, "attachment count out of range");
    }
    p.attachments = static_cast<std::size_t>(*count);
    ++i;
  }
  bool nsp_terminated = true;
  if (i < text.size() && text[i] == '/') {
    const std::size_t comma = text.find(',', i);
    nsp_terminated = comma != std::string_view::npos;
    const std::size_t end = nsp_terminated ? comma : text.size();
    p.nsp = text.substr(i, end - i);
    i = nsp_terminated ? end + 1 : end;
  }
  if (i < text.size() && is_digit(text[i])) {
    const auto id = read_decimal(text, i, kMaxAckId);
    if (!id) return fail(parse, SioError::bad_id, "ack id above 2^53 - 1");
    p.id = *id;
  }
  p.data = text.substr(i);
  if (!nsp_terminated && is_event(p.type)) {
    return fail(parse, SioError::bad_namespace, "the namespace is not followed by ','");
  }
  if (!p.data.empty()) {
    const protocol::JsonCheck check = protocol::check_json(p.data);
    if (check != protocol::JsonCheck::valid) {
      return fail(parse, SioError::bad_json, protocol::describe(check));
    }
  }
  const std::string_view problem = payload_problem(p.type, p.data);
  if (!problem.empty()) return fail(parse, SioError::bad_payload, problem);
  return parse;
}

bool split_event(std::string_view array_json, std::string& name_buffer, std::string_view& name,
                 std::vector<std::string_view>& args) {
  name = {};
  if (!detail::json_array_elements(array_json, args) || args.empty()) {
    args.clear();
    return false;
  }
  const std::string_view first = args.front();
  if (first.front() == '"') {
    if (first.find('\\') == std::string_view::npos) {
      name = first.substr(1, first.size() - 2);
    } else {
      auto decoded = detail::json_string_value(first);
      if (!decoded) {
        args.clear();
        return false;
      }
      name_buffer = std::move(*decoded);
      name = name_buffer;
    }
  } else if (first.front() == '-' || is_digit(first.front())) {
    name = first;
  } else {
    args.clear();
    return false;
  }
  args.erase(args.begin());
  return true;
}

void append_sio_header(std::string& out, SioType type, std::string_view nsp,
                       std::optional<std::uint64_t> id, std::size_t attachments) {
  out.push_back(static_cast<char>('0' + static_cast<int>(type)));
  std::array<char, 24> digits{};
  if (type == SioType::binary_event || type == SioType::binary_ack) {
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), attachments).ptr;
    out.append(digits.data(), end);
    out.push_back('-');
  }
  if (!nsp.empty() && nsp != "/") {
    out.append(nsp);
    out.push_back(',');
  }
  if (id) {
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), *id).ptr;
    out.append(digits.data(), end);
  }
}

void append_connect(std::string& out, std::string_view nsp, std::string_view sid) {
  append_sio_header(out, SioType::connect, nsp, std::nullopt);
  protocol::JsonObject object(out);
  object.string("sid", sid);
  object.close();
}

void append_connect_error(std::string& out, std::string_view nsp, std::string_view message,
                          std::string_view data_json) {
  append_sio_header(out, SioType::connect_error, nsp, std::nullopt);
  protocol::JsonObject object(out);
  object.string("message", message);
  if (!data_json.empty()) object.raw("data", data_json);
  object.close();
}

void append_event(std::string& out, std::string_view nsp, std::optional<std::uint64_t> id,
                  std::string_view event_name, std::span<const std::string_view> args_json) {
  append_sio_header(out, SioType::event, nsp, id);
  out.push_back('[');
  protocol::append_json_string(out, event_name);
  for (const std::string_view arg : args_json) {
    out.push_back(',');
    out.append(arg);
  }
  out.push_back(']');
}

void append_ack(std::string& out, std::string_view nsp, std::uint64_t id,
                std::span<const std::string_view> args_json) {
  append_sio_header(out, SioType::ack, nsp, id);
  out.push_back('[');
  for (std::size_t i = 0; i < args_json.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(args_json[i]);
  }
  out.push_back(']');
}

void append_disconnect(std::string& out, std::string_view nsp) {
  append_sio_header(out, SioType::disconnect, nsp, std::nullopt);
}

}  // namespace switchboard::socketio
