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
// the reference count is atomic, so copies may be made and dropped on any worker — except
// copies of a thread-local view (below), which stay on the thread that made the view.
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
  const std::uint8_t* data() const noexcept { return block_ ? block_->bytes : nullptr; }
  std::uint8_t* mutable_data() noexcept {  // only before sharing
    return const_cast<std::uint8_t*>(block_->bytes);
  }
  std::size_t size() const noexcept { return block_ ? block_->size : 0; }
  std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(data()), size()};
  }
  std::uint32_t use_count() const noexcept {
    return block_ ? block_->refs.load(std::memory_order_relaxed) : 0;
  }

  // A view of this frame for the calling thread: it holds one reference on the frame for all
  // of its own copies, which are counted without locked instructions. A fan-out on a worker
  // takes one view and gives each recipient a copy of it, so a recipient costs a plain
  // increment and decrement instead of two locked ones (which also stall the pipeline on the
  // recipients' cache misses). The view and its copies must not leave the thread.
  SharedFrame thread_local_view() const;

 private:
  struct Block {
    std::atomic<std::uint32_t> refs;  // a view's: read and written by its thread only
    std::uint32_t size;
    const std::uint8_t* bytes;  // right after this block, or the viewed frame's bytes
    Block* viewed;              // a thread-local view: the block it holds a reference on
  };
  explicit SharedFrame(Block* b) noexcept : block_(b) {}
  void retain() noexcept {
    if (block_ == nullptr) return;
    if (block_->viewed != nullptr) {
      block_->refs.store(block_->refs.load(std::memory_order_relaxed) + 1,
                         std::memory_order_relaxed);
    } else {
      block_->refs.fetch_add(1, std::memory_order_relaxed);
    }
  }
  void release() noexcept;
  Block* block_ = nullptr;
};

}  // namespace switchboard::ws
