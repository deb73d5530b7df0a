// The Redis engine's publication format. See publication_codec.hpp.
#include "switchboard/engine/publication_codec.hpp"

#include <charconv>

namespace switchboard::engine {

void put_field(std::string& out, std::string_view value) {
  out.append(std::to_string(value.size())).push_back(':');
  out.append(value);
}

bool take_field(std::string_view& in, std::string& value) {
  const auto colon = in.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::size_t len = 0;
  const auto [end, ec] = std::from_chars(in.data(), in.data() + colon, len);
  if (ec != std::errc{} || end != in.data() + colon || len > in.size() - colon - 1) return false;
  value.assign(in.substr(colon + 1, len));
  in.remove_prefix(colon + 1 + len);
  return true;
}

std::string encode_body(const Publication& p) {
  std::string out;
  out.reserve(p.channel.size() + p.type.size() + p.payload.size() + p.id.size() +
              p.publisher_user.size() + 24);
  out.push_back('1');
  out.push_back(static_cast<char>('0' + (p.requires_ack ? 1 : 0) + (p.skip_publisher ? 2 : 0) +
                                  (p.ephemeral ? 4 : 0) + (p.raw ? 8 : 0)));
  put_field(out, p.channel);
  put_field(out, p.type);
  put_field(out, p.payload);
  put_field(out, p.id);
  put_field(out, p.publisher_user);
  return out;
}

std::optional<Publication> decode_body(std::string_view in) {
  // Flags '0'..'?' (4 bits). A node from before the raw flag refuses '8' and above (counted
  // as undecodable): it could only have delivered them wrapped in an envelope.
  if (in.size() < 2 || in[0] != '1' || in[1] < '0' || in[1] > '0' + 15) return std::nullopt;
  const int flags = in[1] - '0';
  in.remove_prefix(2);
  Publication p;
  p.requires_ack = (flags & 1) != 0;
  p.skip_publisher = (flags & 2) != 0;
  p.ephemeral = (flags & 4) != 0;
  p.raw = (flags & 8) != 0;
  if (!take_field(in, p.channel) || !take_field(in, p.type) || !take_field(in, p.payload) ||
      !take_field(in, p.id) || !take_field(in, p.publisher_user) || !in.empty()) {
    return std::nullopt;
  }
  return p;
}

std::string encode_positioned(const Publication& p) {
  std::string out = std::to_string(p.offset);
  out.push_back(':');
  out.append(p.epoch).push_back(':');
  out.append(encode_body(p));
  return out;
}

std::optional<Publication> decode_positioned(std::string_view in) {
  const auto first = in.find(':');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = in.find(':', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  std::uint64_t offset = 0;
  const auto [end, ec] = std::from_chars(in.data(), in.data() + first, offset);
  if (ec != std::errc{} || end != in.data() + first) return std::nullopt;
  auto p = decode_body(in.substr(second + 1));
  if (!p) return std::nullopt;
  p->offset = offset;
  p->epoch.assign(in.substr(first + 1, second - first - 1));
  return p;
}

}  // namespace switchboard::engine
