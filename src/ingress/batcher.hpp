#pragma once
// Batcher: a rule's deliveries held for its batch_interval and handed over together, in the
// order they came. The first delivery of a batch starts the rule's timer; when it fires the
// batch is released and the next delivery starts a new one. flush() releases everything at
// once (stop: the node is still running when the ingress stops).
//
// Thread safety: one thread, the executor's (the ingress thread); destroyed there or after
// the executor stopped running.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "ingress_source.hpp"
#include "switchboard/ingress/ingress_sink.hpp"

namespace switchboard::ingress {

class Batcher {
 public:
  struct Held {
    IngressDelivery delivery;
    Settle settle;  // the source's, may be empty
  };
  using Release = std::function<void(std::size_t rule, std::vector<Held> batch)>;

  // `intervals[rule]`: 0 for a rule that is not batched (hold() must not be called for it).
  Batcher(boost::asio::any_io_executor executor, std::vector<std::chrono::milliseconds> intervals,
          Release release);

  void hold(std::size_t rule, Held held);
  void flush();
  std::size_t held() const noexcept;

 private:
  struct Rule {
    Rule(boost::asio::any_io_executor executor, std::chrono::milliseconds every)
        : timer(executor), interval(every) {}
    boost::asio::steady_timer timer;
    std::chrono::milliseconds interval;
    std::vector<Held> batch;
  };
  void release(std::size_t rule);

  std::vector<std::unique_ptr<Rule>> rules_;
  Release release_;
};

}  // namespace switchboard::ingress
