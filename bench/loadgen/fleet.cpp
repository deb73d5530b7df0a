#include "fleet.hpp"

#include "payload.hpp"

namespace switchboard::bench {

Fleet::Fleet(ConnectionContext& context, std::vector<boost::asio::ip::address> sources,
             std::size_t concurrency)
    : context_(context),
      sources_(std::move(sources)),
      concurrency_(concurrency == 0 ? 1 : concurrency),
      deadline_(context.io) {
  if (sources_.empty()) sources_.emplace_back();  // unspecified: the kernel picks
}

void Fleet::open(std::size_t count, std::chrono::milliseconds timeout,
                 std::function<void(const OpenResult&)> done) {
  open_done_ = std::move(done);
  target_ = count;
  result_ = {};
  opening_ = true;
  connections_.reserve(count);
  settled_.reserve(count);
  open_start_ns_ = monotonic_ns();
  deadline_.expires_after(timeout);
  deadline_.async_wait([this](const boost::system::error_code& error) {
    if (error || !opening_) return;
    for (std::size_t i = 0; i < connections_.size(); ++i) {
      if (!settled_[i]) connections_[i]->abort();
    }
    result_.failed += target_ - ready_ - result_.failed;
    if (result_.first_error.empty()) result_.first_error = "timed out opening connections";
    finish_open();
  });
  start_more();
  if (count == 0) finish_open();
}

void Fleet::start_more() {
  while (opening_ && started_ < target_ && in_progress_ < concurrency_) {
    const auto id = static_cast<std::uint32_t>(connections_.size());
    connections_.push_back(std::make_unique<Connection>(context_, *this, id));
    settled_.push_back(0);
    ++started_;
    ++in_progress_;
    connections_.back()->start(sources_[id % sources_.size()]);
  }
}

void Fleet::settle_one() {
  --in_progress_;
  if (ready_ + result_.failed == target_) {
    finish_open();
  } else {
    start_more();
  }
}

void Fleet::finish_open() {
  if (!opening_) return;
  opening_ = false;
  deadline_.cancel();
  result_.ready = ready_;
  result_.seconds = static_cast<double>(monotonic_ns() - open_start_ns_) / 1e9;
  auto done = std::move(open_done_);
  done(result_);
}

void Fleet::on_ready(Connection& connection) {
  settled_[connection.id()] = 1;
  ++ready_;
  if (opening_) settle_one();
}

void Fleet::on_payload(Connection& connection, std::string_view payload,
                       std::uint64_t received_ns) {
  if (payload_handler_ != nullptr) payload_handler_->on_payload(connection, payload, received_ns);
}

void Fleet::on_closed(Connection& connection, std::string_view reason) {
  const std::uint32_t id = connection.id();
  if (!settled_[id]) {  // failed while opening
    settled_[id] = 1;
    ++result_.failed;
    if (result_.first_error.empty()) result_.first_error = std::string(reason);
    if (opening_) settle_one();
    return;
  }
  --ready_;
  if (payload_handler_ != nullptr) payload_handler_->on_lost(connection, reason);
}

void Fleet::abort_all() {
  opening_ = false;
  deadline_.cancel();
  for (auto& connection : connections_) connection->abort();
  ready_ = 0;
}

}  // namespace switchboard::bench
