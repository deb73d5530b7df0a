// One malloc per frame: the block header (count and size) sits right before the bytes, so a
// broadcast costs one allocation however many queues hold it.
#include "switchboard/ws/shared_frame.hpp"

#include <cstdlib>
#include <limits>
#include <new>

namespace switchboard::ws {

SharedFrame SharedFrame::allocate(std::size_t size) {
  // The size is stored in 32 bits: frames are bounded by message limits far below 4 GiB.
  if (size > std::numeric_limits<std::uint32_t>::max() - sizeof(Block)) throw std::bad_alloc();
  void* raw = std::malloc(sizeof(Block) + size);
  if (raw == nullptr) throw std::bad_alloc();
  Block* block = ::new (raw) Block{};
  block->refs.store(1, std::memory_order_relaxed);
  block->size = static_cast<std::uint32_t>(size);
  return SharedFrame(block);
}

void SharedFrame::release() noexcept {
  if (block_ == nullptr) return;
  // acq_rel: the last owner must see every other owner's reads finished before freeing.
  if (block_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    block_->~Block();
    std::free(block_);
  }
  block_ = nullptr;
}

}  // namespace switchboard::ws
