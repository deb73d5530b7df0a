#pragma once
// What the node asks of the sessions on one worker. The node routes publications and control
// messages to workers; the sessions themselves live a layer above it (session/WorkerGateway),
// so the node knows them only through this interface. Each call is posted to, and runs on, the
// worker the sessions belong to.
#include <cstdint>
#include <memory>
#include <string>

namespace switchboard::node {

struct Delivery;
using DeliveryPtr = std::shared_ptr<const Delivery>;

class WorkerSessions {
 public:
  // A publication to this worker's subscribers of its channel (or to every session, for a
  // broadcast).
  virtual void deliver(const DeliveryPtr& delivery) = 0;
  // The broker lost its subscription to `channel` and has it again: every local subscriber
  // recovers what did not arrive meanwhile.
  virtual void subscription_restored(const std::string& channel) = 0;
  // Closes every session of `user_id` on this worker with `code`.
  virtual void disconnect_user(const std::string& user_id, std::uint16_t code,
                               const std::string& reason) = 0;

 protected:
  ~WorkerSessions() = default;  // not owned through this interface
};

}  // namespace switchboard::node
