#include "switchboard/socketio/binary_attachments.hpp"

#include <algorithm>

#include "base64.hpp"
#include "json_walk.hpp"
#include "switchboard/protocol/json_check.hpp"
#include "switchboard/protocol/json_writer.hpp"

namespace switchboard::socketio {
namespace {

// The value of the last member named `name` (JSON.parse keeps the last of duplicate keys).
std::optional<std::string_view> member_value(const std::vector<detail::JsonMember>& members,
                                             std::string_view name) {
  std::optional<std::string_view> value;
  for (const detail::JsonMember& member : members) {
    if (detail::json_key_is(member.raw_key, name)) value = member.value;
  }
  return value;
}

// A placeholder's num: a plain non-negative integer (the reference also takes 1.0 or 1e0,
// which no encoder writes).
std::optional<std::size_t> placeholder_num(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  std::size_t num = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    num = num * 10 + static_cast<std::size_t>(c - '0');
  }
  return num;
}

// A {"$binary":"<base64>"} object: exactly that member, a string. Its base64 text (escapes
// resolved), or nullopt when `members` is another object.
std::optional<std::string> binary_member(const std::vector<detail::JsonMember>& members) {
  if (members.size() != 1 || !detail::json_key_is(members.front().raw_key, "$binary")) {
    return std::nullopt;
  }
  return detail::json_string_value(members.front().value);
}

// A span of `text` to write in place of a {"$binary":…} object, in document order.
struct Splice {
  std::size_t offset;
  std::size_t length;
};

// Appends `json` with the spans in `splices` (sorted, disjoint) replaced by placeholders
// numbered from `first_num`.
void append_with_placeholders(std::string& out, std::string_view json,
                              const std::vector<Splice>& splices, std::size_t first_num) {
  std::size_t at = 0;
  std::size_t num = first_num;
  for (const Splice& splice : splices) {
    out.append(json.substr(at, splice.offset - at));
    out.append(R"({"_placeholder":true,"num":)");
    out.append(std::to_string(num++));
    out.push_back('}');
    at = splice.offset + splice.length;
  }
  out.append(json.substr(at));
}

// The {"$binary":…} objects of one argument, their decoded bytes appended to `attachments`;
// false when one is not base64 or the argument cannot be walked.
bool find_binary_objects(std::string_view arg, std::vector<Splice>& splices,
                         std::vector<std::string>& attachments) {
  bool base64_ok = true;
  const bool walked = detail::for_each_json_object(
      arg,
      [&](std::string_view object, const std::vector<detail::JsonMember>& members) {
        const auto base64 = binary_member(members);
        if (!base64) return false;
        std::string bytes;
        if (!detail::append_base64_decoded(bytes, *base64)) base64_ok = false;
        attachments.push_back(std::move(bytes));
        splices.push_back({static_cast<std::size_t>(object.data() - arg.data()), object.size()});
        return true;
      },
      protocol::kMaxJsonDepth);
  return walked && base64_ok;
}

// The binary packet for `prefix_name` (an event's name, absent for an ack) and `args_json`.
BinaryEncoding encode_binary(std::string& header_out, std::vector<std::string>& attachments_out,
                             SioType type, std::string_view nsp, std::optional<std::uint64_t> id,
                             const std::string* event_name_json,
                             std::span<const std::string_view> args_json) {
  std::vector<std::string> attachments;
  std::vector<std::vector<Splice>> splices(args_json.size());
  for (std::size_t i = 0; i < args_json.size(); ++i) {
    if (!find_binary_objects(args_json[i], splices[i], attachments)) {
      return BinaryEncoding::bad_base64;
    }
  }
  if (attachments.empty()) return BinaryEncoding::plain;
  append_sio_header(header_out, type, nsp, id, attachments.size());
  header_out.push_back('[');
  bool first = true;
  if (event_name_json) {
    header_out.append(*event_name_json);
    first = false;
  }
  std::size_t num = 0;
  for (std::size_t i = 0; i < args_json.size(); ++i) {
    if (!first) header_out.push_back(',');
    first = false;
    append_with_placeholders(header_out, args_json[i], splices[i], num);
    num += splices[i].size();
  }
  header_out.push_back(']');
  attachments_out = std::move(attachments);
  return BinaryEncoding::binary;
}

}  // namespace

std::string_view describe(BinaryError error) {
  switch (error) {
    case BinaryError::none:
      return "no error";
    case BinaryError::not_binary:
      return "not a binary packet";
    case BinaryError::too_many_attachments:
      return "too many binary attachments";
    case BinaryError::bad_placeholder:
      return "a placeholder refers to no attachment";
    case BinaryError::unused_attachment:
      return "an attachment has no placeholder";
    case BinaryError::unreadable_json:
      return "unreadable packet data";
    case BinaryError::unexpected_attachment:
      return "binary data when none is expected";
    case BinaryError::too_large:
      return "binary attachments too large";
  }
  return "unknown binary error";
}

BinaryAssembler::BinaryAssembler(std::size_t max_attachments, std::size_t max_total_bytes)
    : max_attachments_(max_attachments), max_total_bytes_(max_total_bytes) {}

BinaryError BinaryAssembler::fail(BinaryError error) {
  state_ = State::idle;
  placeholders_.clear();
  attachments_.clear();
  expected_ = 0;
  total_bytes_ = 0;
  return error;
}

BinaryError BinaryAssembler::start(const SioPacket& header) {
  fail(BinaryError::none);  // drop any packet in progress
  if (header.type != SioType::binary_event && header.type != SioType::binary_ack) {
    return BinaryError::not_binary;
  }
  if (header.attachments == 0 || header.attachments > max_attachments_) {
    return BinaryError::too_many_attachments;
  }
  type_ = header.type == SioType::binary_event ? SioType::event : SioType::ack;
  nsp_.assign(header.nsp);
  id_ = header.id;
  data_.assign(header.data);
  expected_ = header.attachments;
  std::vector<bool> used(expected_, false);
  bool placeholders_ok = true;
  const bool walked = detail::for_each_json_object(
      data_,
      [&](std::string_view object, const std::vector<detail::JsonMember>& members) {
        const auto flag = member_value(members, "_placeholder");
        if (!flag || *flag != "true") return false;  // an ordinary object: look inside
        const auto num_text = member_value(members, "num");
        const auto num = num_text ? placeholder_num(*num_text) : std::nullopt;
        if (!num || *num >= expected_) {
          placeholders_ok = false;
        } else {
          used[*num] = true;
          placeholders_.push_back(
              {static_cast<std::size_t>(object.data() - data_.data()), object.size(), *num});
        }
        return true;
      },
      protocol::kMaxJsonDepth);
  if (!walked) return fail(BinaryError::unreadable_json);
  if (!placeholders_ok) return fail(BinaryError::bad_placeholder);
  if (std::find(used.begin(), used.end(), false) != used.end()) {
    return fail(BinaryError::unused_attachment);
  }
  attachments_.reserve(expected_);
  state_ = State::collecting;
  return BinaryError::none;
}

BinaryError BinaryAssembler::add(std::string_view bytes) {
  if (state_ != State::collecting) return fail(BinaryError::unexpected_attachment);
  if (bytes.size() > max_total_bytes_ - total_bytes_) return fail(BinaryError::too_large);
  total_bytes_ += bytes.size();
  attachments_.emplace_back(bytes);
  if (attachments_.size() == expected_) state_ = State::complete;
  return BinaryError::none;
}

std::string BinaryAssembler::assembled_json() const {
  std::string out;
  if (state_ != State::complete) return out;
  std::size_t at = 0;
  for (const Placeholder& p : placeholders_) {
    out.append(std::string_view(data_).substr(at, p.offset - at));
    out.append(R"({"$binary":")");
    detail::append_base64(out, attachments_[p.num]);
    out.append("\"}");
    at = p.offset + p.length;
  }
  out.append(std::string_view(data_).substr(at));
  return out;
}

BinaryEncoding encode_binary_event(std::string& header_out,
                                   std::vector<std::string>& attachments_out, std::string_view nsp,
                                   std::optional<std::uint64_t> id, std::string_view event_name,
                                   std::span<const std::string_view> args_json) {
  std::string name_json;
  protocol::append_json_string(name_json, event_name);
  return encode_binary(header_out, attachments_out, SioType::binary_event, nsp, id, &name_json,
                       args_json);
}

BinaryEncoding encode_binary_ack(std::string& header_out, std::vector<std::string>& attachments_out,
                                 std::string_view nsp, std::uint64_t id,
                                 std::span<const std::string_view> args_json) {
  return encode_binary(header_out, attachments_out, SioType::binary_ack, nsp, id, nullptr,
                       args_json);
}

}  // namespace switchboard::socketio
