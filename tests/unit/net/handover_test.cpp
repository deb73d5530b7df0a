// A Handover owns its socket until a worker takes it: destroyed untaken (its worker stopped
// before the posted task ran) it closes the socket, which the peer sees as the end of the
// connection; moved, only the last holder closes it, once.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

#include "switchboard/net/handover.hpp"

namespace switchboard::net {
namespace {

struct SocketPair {
  int ours = -1;   // given to a handover
  int peer = -1;   // the client's end, read by the test
  SocketPair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    ours = fds[0];
    peer = fds[1];
  }
  ~SocketPair() { ::close(peer); }
  // True when the handover's end was closed: the peer reads end of stream (not EAGAIN).
  bool closed() const {
    char byte;
    return ::recv(peer, &byte, 1, MSG_DONTWAIT) == 0;
  }
};

TEST(Handover, DestroyedUntakenItClosesTheSocket) {
  SocketPair pair;
  {
    Handover handover;
    handover.fd = pair.ours;
    EXPECT_FALSE(pair.closed());
  }
  EXPECT_TRUE(pair.closed());
}

TEST(Handover, MovedOnlyTheLastHolderClosesIt) {
  SocketPair pair;
  Handover last;
  {
    Handover first;
    first.fd = pair.ours;
    Handover second(std::move(first));
    EXPECT_EQ(first.fd, -1);
    last = std::move(second);
    EXPECT_EQ(second.fd, -1);
  }
  EXPECT_FALSE(pair.closed());
  EXPECT_EQ(last.fd, pair.ours);
  Handover taken = std::move(last);
  taken.fd = -1;  // what a worker does when it takes the socket
  ::close(pair.ours);
  EXPECT_TRUE(pair.closed());
}

TEST(Handover, AssignedOverItReleasesWhatItHeld) {
  SocketPair a;
  SocketPair b;
  Handover handover;
  handover.fd = a.ours;
  Handover other;
  other.fd = b.ours;
  handover = std::move(other);
  EXPECT_TRUE(a.closed());
  EXPECT_FALSE(b.closed());
  EXPECT_EQ(handover.fd, b.ours);
}

}  // namespace
}  // namespace switchboard::net
