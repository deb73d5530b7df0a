// Codec hot paths: parsing masked client frames, building server frames, UTF-8 validation and
// compressing a typical JSON event once for a deflate broadcast.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "switchboard/ws/deflate.hpp"
#include "switchboard/ws/frame_builder.hpp"
#include "switchboard/ws/message_reader.hpp"
#include "switchboard/ws/utf8.hpp"

namespace {

using namespace switchboard::ws;

// A masked client text frame carrying `payload`.
std::vector<std::uint8_t> client_frame(const std::string& payload) {
  std::vector<std::uint8_t> out(kMaxServerHeaderSize + 4 + payload.size());
  std::size_t h = write_frame_header(out.data(), Opcode::text, payload.size());
  out[1] |= 0x80;  // mask bit
  const std::uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
  std::memcpy(out.data() + h, key, 4);
  h += 4;
  for (std::size_t i = 0; i < payload.size(); ++i) {
    out[h + i] = static_cast<std::uint8_t>(payload[i]) ^ key[i % 4];
  }
  out.resize(h + payload.size());
  return out;
}

std::string json_message(std::size_t size) {
  std::string s = "{\"type\":\"message\",\"channel\":\"conv:42\",\"payload\":{\"items\":[";
  for (int i = 0; s.size() < size - 4; ++i) {
    s += "{\"id\":" + std::to_string(i) + ",\"user\":\"alice\",\"text\":\"hello\"},";
  }
  s.resize(size - 3);
  s += "]}}";
  return s;
}

class NullHandler : public MessageHandler {
 public:
  void on_message(Opcode, std::string_view payload) override {
    benchmark::DoNotOptimize(payload.data());
  }
  void on_ping(std::string_view) override {}
  void on_pong(std::string_view) override {}
  void on_close(std::uint16_t, std::string_view) override {}
};

// Parse + unmask + UTF-8 validate one message per iteration. The frame is re-masked from a
// pristine copy each time (unmasking is in place), which is part of the measured cost.
void BM_ParseMaskedText(benchmark::State& state) {
  const std::string payload = json_message(static_cast<std::size_t>(state.range(0)));
  const std::vector<std::uint8_t> pristine = client_frame(payload);
  std::vector<std::uint8_t> buffer = pristine;
  ReaderLimits limits;
  limits.max_message_size = 1 << 20;
  MessageReader reader(limits);
  NullHandler handler;
  for (auto _ : state) {
    std::memcpy(buffer.data(), pristine.data(), pristine.size());
    ReadError e = reader.feed(buffer.data(), buffer.size(), handler);
    if (e) state.SkipWithError("parse error");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * pristine.size()));
}
BENCHMARK(BM_ParseMaskedText)->Arg(100)->Arg(4096);

void BM_BuildFrame(benchmark::State& state) {
  const std::string payload = json_message(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    SharedFrame f = build_frame(Opcode::text, payload);
    benchmark::DoNotOptimize(f.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * payload.size()));
}
BENCHMARK(BM_BuildFrame)->Arg(100)->Arg(4096);

void BM_Utf8Ascii(benchmark::State& state) {
  const std::string s = json_message(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(is_valid_utf8(s));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * s.size()));
}
BENCHMARK(BM_Utf8Ascii)->Arg(4096);

void BM_Utf8Mixed(benchmark::State& state) {
  std::string s;
  while (s.size() < static_cast<std::size_t>(state.range(0))) {
    s += "h\xC3\xA9llo w\xC3\xB6rld \xE2\x82\xAC 42 \xF0\x9F\x98\x80 ";
  }
  for (auto _ : state) benchmark::DoNotOptimize(is_valid_utf8(s));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * s.size()));
}
BENCHMARK(BM_Utf8Mixed)->Arg(4096);

void BM_DeflateJson1K(benchmark::State& state) {
  const std::string message = json_message(1024);
  Deflater deflater;
  std::size_t compressed = 0;
  for (auto _ : state) {
    std::string z = deflater.compress(message);
    compressed = z.size();
    benchmark::DoNotOptimize(z.data());
  }
  state.counters["ratio"] = static_cast<double>(compressed) / static_cast<double>(message.size());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * message.size()));
}
BENCHMARK(BM_DeflateJson1K);

}  // namespace
