// libFuzzer target for MessageReader: the input (after its first byte) is fed as two reads cut
// at a point the first byte picks, once without and once with permessage-deflate. The handler
// checks the reader's promises: text is valid UTF-8, no message exceeds the limit, control
// payloads fit 125 bytes, close codes are valid, and nothing is reported after a close.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "switchboard/ws/close_code.hpp"
#include "switchboard/ws/deflate.hpp"
#include "switchboard/ws/message_reader.hpp"
#include "switchboard/ws/utf8.hpp"

namespace {

using namespace switchboard::ws;

constexpr std::size_t kLimit = 64 * 1024;

void check(bool condition) {
  if (!condition) std::abort();
}

class CheckingHandler : public MessageHandler {
 public:
  void on_message(Opcode op, std::string_view payload) override {
    check(!closed_);
    check(op == Opcode::text || op == Opcode::binary);
    check(payload.size() <= kLimit);
    if (op == Opcode::text) check(is_valid_utf8(payload));
  }
  void on_ping(std::string_view payload) override { control(payload); }
  void on_pong(std::string_view payload) override { control(payload); }
  void on_close(std::uint16_t code, std::string_view reason) override {
    control(reason);
    check(code == close_code::kNoStatus || close_code::is_valid_on_wire(code));
    check(is_valid_utf8(reason));
    closed_ = true;
  }

 private:
  void control(std::string_view payload) {
    check(!closed_);
    check(payload.size() <= 125);
  }
  bool closed_ = false;
};

void run(const std::uint8_t* data, std::size_t size, std::size_t split, bool deflate) {
  ReaderLimits limits;
  limits.max_message_size = kLimit;
  MessageReader reader(limits);
  if (deflate) {
    DeflateAgreement agreement;
    agreement.client_no_context_takeover = (split & 1) != 0;
    reader.enable_deflate(std::make_unique<Inflater>(agreement));
  }
  CheckingHandler handler;
  std::vector<std::uint8_t> first(data, data + split);
  std::vector<std::uint8_t> second(data + split, data + size);
  ReadError error = reader.feed(first.data(), first.size(), handler);
  if (!error) error = reader.feed(second.data(), second.size(), handler);
  if (error) {
    check(error.code == close_code::kProtocolError || error.code == close_code::kInvalidPayload ||
          error.code == close_code::kMessageTooBig);
    // A failed reader stays failed and consumes nothing.
    std::uint8_t extra[2] = {0x81, 0x80};
    check(reader.feed(extra, sizeof extra, handler).code == error.code);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t n = size - 1;
  const std::size_t split = n == 0 ? 0 : data[0] % (n + 1);
  run(data + 1, n, split, false);
  run(data + 1, n, split, true);
  return 0;
}
