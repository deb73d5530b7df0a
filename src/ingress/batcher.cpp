#include "batcher.hpp"

namespace switchboard::ingress {

Batcher::Batcher(boost::asio::any_io_executor executor,
                 std::vector<std::chrono::milliseconds> intervals, Release release)
    : release_(std::move(release)) {
  for (auto interval : intervals) rules_.push_back(std::make_unique<Rule>(executor, interval));
}

void Batcher::hold(std::size_t rule, Held held) {
  Rule& r = *rules_[rule];
  r.batch.push_back(std::move(held));
  if (r.batch.size() > 1) return;  // the timer runs for this batch already
  r.timer.expires_after(r.interval);
  r.timer.async_wait([this, rule](boost::system::error_code ec) {
    if (!ec) release(rule);
  });
}

void Batcher::release(std::size_t rule) {
  Rule& r = *rules_[rule];
  if (r.batch.empty()) return;
  std::vector<Held> batch;
  batch.swap(r.batch);
  release_(rule, std::move(batch));
}

void Batcher::flush() {
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    rules_[i]->timer.cancel();
    release(i);
  }
}

std::size_t Batcher::held() const noexcept {
  std::size_t n = 0;
  for (const auto& r : rules_) n += r->batch.size();
  return n;
}

}  // namespace switchboard::ingress
