#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "switchboard/engine/publication.hpp"
#include "switchboard/ws/shared_frame.hpp"

namespace switchboard::node {

// Messages sent with requires_ack and not acknowledged yet. Allocated on the first such
// message, so connections that never get one pay a null pointer.
struct AckTracker {
  struct Pending {
    std::string id;
    engine::PublicationPtr publication;  // given back to the offline store if never acked
    ws::SharedFrame frame;               // the same bytes are resent
    std::vector<ws::SharedFrame> attachments;  // and the binary frames that followed them
    std::uint32_t next_retry = 0;
    std::uint32_t expires = 0;
    std::uint32_t attempts = 0;
  };
  std::vector<Pending> pending;  // oldest first
};

}  // namespace switchboard::node
