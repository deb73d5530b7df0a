// One malloc per frame: the block header (count and size) sits right before the bytes, so a
// broadcast costs one allocation however many queues hold it. A thread-local view is a header
// alone, pointing at the viewed frame's bytes.
#include "switchboard/ws/shared_frame.hpp"

#include <cstdlib>
#include <limits>
#include <new>
#include <utility>

namespace switchboard::ws {

SharedFrame SharedFrame::allocate(std::size_t size) {
  // The size is stored in 32 bits: frames are bounded by message limits far below 4 GiB.
  if (size > std::numeric_limits<std::uint32_t>::max() - sizeof(Block)) throw std::bad_alloc();
  void* raw = std::malloc(sizeof(Block) + size);
  if (raw == nullptr) throw std::bad_alloc();
  Block* block = ::new (raw) Block{};
  block->refs.store(1, std::memory_order_relaxed);
  block->size = static_cast<std::uint32_t>(size);
  block->bytes = reinterpret_cast<const std::uint8_t*>(block + 1);
  block->viewed = nullptr;
  return SharedFrame(block);
}

SharedFrame SharedFrame::thread_local_view() const {
  if (block_ == nullptr || block_->viewed != nullptr) return *this;  // already a view
  void* raw = std::malloc(sizeof(Block));
  if (raw == nullptr) throw std::bad_alloc();
  Block* view = ::new (raw) Block{};
  view->refs.store(1, std::memory_order_relaxed);
  view->size = block_->size;
  view->bytes = block_->bytes;
  view->viewed = block_;
  block_->refs.fetch_add(1, std::memory_order_relaxed);  // the view's one reference
  return SharedFrame(view);
}

void SharedFrame::release() noexcept {
  Block* block = std::exchange(block_, nullptr);
  if (block == nullptr) return;
  if (block->viewed != nullptr) {
    const std::uint32_t left = block->refs.load(std::memory_order_relaxed) - 1;
    block->refs.store(left, std::memory_order_relaxed);
    if (left != 0) return;
    SharedFrame viewed(block->viewed);  // adopts the view's reference and drops it on return
    block->~Block();
    std::free(block);
    return;
  }
  // acq_rel: the last owner must see every other owner's reads finished before freeing.
  if (block->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    block->~Block();
    std::free(block);
  }
}

}  // namespace switchboard::ws
