// The connections of one load-generator process: opens them with bounded concurrency,
// spreading them over the source addresses, times how fast they become ready, and forwards
// their payloads to whichever run mode is listening.
//
// Thread safety: single-threaded, on the io_context's thread.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connection.hpp"

namespace switchboard::bench {

// Receives what the fleet's ready connections report.
class PayloadHandler {
 public:
  virtual void on_payload(Connection& connection, std::string_view payload,
                          std::uint64_t received_ns) = 0;
  // A connection that was ready has been closed or failed.
  virtual void on_lost(Connection& connection, std::string_view reason) = 0;

 protected:
  ~PayloadHandler() = default;
};

struct OpenResult {
  std::size_t ready = 0;
  std::size_t failed = 0;
  double seconds = 0;       // from the first connect to the last ready connection
  std::string first_error;  // the first failure's reason, for the report
};

class Fleet final : public ConnectionHandler {
 public:
  Fleet(ConnectionContext& context, std::vector<boost::asio::ip::address> sources,
        std::size_t concurrency);

  // Opens `count` connections, at most `concurrency` handshaking at once; `done` runs once
  // each is ready or failed, or at `timeout` (the rest are aborted and count as failed).
  void open(std::size_t count, std::chrono::milliseconds timeout,
            std::function<void(const OpenResult&)> done);

  void set_payload_handler(PayloadHandler* handler) { payload_handler_ = handler; }

  std::size_t size() const { return connections_.size(); }
  Connection& at(std::size_t index) { return *connections_[index]; }
  std::size_t ready_count() const { return ready_; }

  // Aborts every connection (RST); no callbacks follow.
  void abort_all();

 private:
  void on_ready(Connection& connection) override;
  void on_payload(Connection& connection, std::string_view payload,
                  std::uint64_t received_ns) override;
  void on_closed(Connection& connection, std::string_view reason) override;
  void start_more();
  void settle_one();
  void finish_open();

  ConnectionContext& context_;
  std::vector<boost::asio::ip::address> sources_;
  std::size_t concurrency_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<std::uint8_t> settled_;  // per connection: already counted as ready or failed
  boost::asio::steady_timer deadline_;
  PayloadHandler* payload_handler_ = nullptr;
  std::function<void(const OpenResult&)> open_done_;
  std::size_t target_ = 0;
  std::size_t started_ = 0;
  std::size_t in_progress_ = 0;
  std::size_t ready_ = 0;
  OpenResult result_;
  std::uint64_t open_start_ns_ = 0;
  bool opening_ = false;
};

}  // namespace switchboard::bench
