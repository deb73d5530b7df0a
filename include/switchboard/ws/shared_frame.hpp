#pragma once
// An immutable, reference-counted, fully framed WebSocket message: what every recipient's
// outbound queue holds. A broadcast to 10,000 connections builds one SharedFrame and hands
// out 10,000 references to it (DESIGN.md: encode once, frame once, send many).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

namespace switchboard::ws {

// Thread safety: the bytes never change after construction, so any thread may read them;
// the reference count is atomic, so copies may be made and dropped on any worker.
class SharedFrame {
 public:
  SharedFrame() noexcept = default;
  SharedFrame(const SharedFrame& o) noexcept : block_(o.block_) { retain(); }
  SharedFrame(SharedFrame&& o) noexcept : block_(std::exchange(o.block_, nullptr)) {}
  SharedFrame& operator=(SharedFrame o) noexcept {
    std::swap(block_, o.block_);
    return *this;
  }
  ~SharedFrame() { release(); }

  // Allocates one block holding the count and `size` bytes; the caller fills data() once
  // before sharing the frame.
  static SharedFrame allocate(std::size_t size);

  explicit operator bool() const noexcept { return block_ != nullptr; }
  const std::uint8_t* data() const noexcept { return block_ ? block_->bytes() : nullptr; }
  std::uint8_t* mutable_data() noexcept { return block_->bytes(); }  // only before sharing
  std::size_t size() const noexcept { return block_ ? block_->size : 0; }
  std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(data()), size()};
  }
  std::uint32_t use_count() const noexcept {
    return block_ ? block_->refs.load(std::memory_order_relaxed) : 0;
  }

 private:
  struct Block {
    std::atomic<std::uint32_t> refs;
    std::uint32_t size;
    std::uint8_t* bytes() noexcept { return reinterpret_cast<std::uint8_t*>(this + 1); }
  };
  explicit SharedFrame(Block* b) noexcept : block_(b) {}
  void retain() noexcept {
    if (block_) block_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  void release() noexcept;

  Block* block_ = nullptr;
};

}  // namespace switchboard::ws
