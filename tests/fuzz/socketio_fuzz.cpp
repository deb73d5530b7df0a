// libFuzzer target for the Engine.IO / Socket.IO codec: any input goes through every parser
// without crashing, and what they accept keeps their promises: views lie inside the input (or
// the scratch), an accepted event splits into a name and arguments, and a binary packet's
// assembly is valid JSON once each attachment is in place.
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/socketio/binary_attachments.hpp"
#include "switchboard/socketio/engine_io.hpp"
#include "switchboard/socketio/socket_io.hpp"

namespace {

using namespace switchboard::socketio;

void check(bool condition) {
  if (!condition) std::abort();
}

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

// Boost.JSON as the independent judge, deep enough for anything parse_sio lets through.
bool valid_json(std::string_view text) {
  boost::json::parse_options options;
  options.max_depth = 256;
  boost::json::error_code ec;
  boost::json::parse(boost::json::string_view(text.data(), text.size()), ec, {}, options);
  return !ec;
}

void fuzz_socket_io(std::string_view text) {
  const SioParse r = parse_sio(text, 4);
  if (!r.ok()) {
    check(!r.detail.empty());
    return;
  }
  const SioPacket& p = r.packet;
  check(inside(p.nsp, text) || p.nsp == "/");
  check(inside(p.data, text));
  check(!p.id || *p.id <= kMaxAckId);
  if (p.type == SioType::event || p.type == SioType::binary_event) {
    std::string buffer;
    std::string_view name;
    std::vector<std::string_view> args;
    check(split_event(p.data, buffer, name, args));
    for (const std::string_view arg : args) check(inside(arg, p.data));
    // Written again, the event reads back as the same name and arguments.
    std::string again;
    append_event(again, p.nsp, p.id, name, args);
    const SioParse back = parse_sio(again, 4);
    check(back.ok());
    std::string buffer2;
    std::string_view name2;
    std::vector<std::string_view> args2;
    check(split_event(back.packet.data, buffer2, name2, args2));
    check(name2 == name && args2 == args);
  }
  if (p.type != SioType::binary_event && p.type != SioType::binary_ack) return;
  BinaryAssembler assembler(4, 64);
  if (assembler.start(p) != BinaryError::none) return;
  // Attachments cut from the input itself.
  for (std::size_t i = 0; assembler.collecting(); ++i) {
    assembler.add(text.substr(0, std::min(text.size(), i * 7)));
  }
  if (assembler.complete()) check(valid_json(assembler.assembled_json()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto packet = parse_eio_text(text)) {
    check(inside(packet->data, text));
    if (packet->type == EioType::message) fuzz_socket_io(packet->data);
  }
  std::vector<EioPacket> packets;
  std::string scratch;
  if (split_eio_payload(text, packets, scratch, 16)) {
    check(!packets.empty() && packets.size() <= 16);
    for (const EioPacket& p : packets)
      check(p.binary ? inside(p.data, scratch) : inside(p.data, text));
  }
  fuzz_socket_io(text);
  // split_event is documented for parse_sio's events, but must stay in bounds on anything.
  std::string buffer;
  std::string_view name;
  std::vector<std::string_view> args;
  if (split_event(text, buffer, name, args)) {
    for (const std::string_view arg : args) check(inside(arg, text));
  }
  // The reverse: whatever the input's {"$binary":…} objects, encoding stays in bounds, and a
  // binary result parses back as a binary event.
  if (valid_json(text)) {
    std::string header;
    std::vector<std::string> attachments;
    const std::string_view one_arg[] = {text};
    if (encode_binary_event(header, attachments, "/", 1, "e", one_arg) == BinaryEncoding::binary) {
      const SioParse back = parse_sio(header, attachments.size());
      check(!back.ok() || back.packet.attachments == attachments.size());
    }
  }
  return 0;
}
