#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace switchboard::bench {
namespace {
constexpr std::uint64_t kLinear = std::uint64_t{1} << 7;
}  // namespace

Histogram::Histogram() : buckets_(bucket_of(UINT64_MAX) + 1, 0) {}

std::size_t Histogram::bucket_of(std::uint64_t value) {
  if (value < kLinear) return static_cast<std::size_t>(value);
  const unsigned msb = static_cast<unsigned>(std::bit_width(value)) - 1;  // >= kSubBits
  const std::uint64_t top = value >> (msb - kSubBits);  // in [2^kSubBits, 2^(kSubBits+1))
  return static_cast<std::size_t>((msb - kSubBits + 1) * kLinear + (top - kLinear));
}

std::uint64_t Histogram::bucket_upper_bound(std::size_t bucket) {
  if (bucket < kLinear) return bucket;
  const std::uint64_t block = bucket >> kSubBits;  // >= 1
  const unsigned shift = static_cast<unsigned>(block - 1);
  const std::uint64_t top = (bucket & (kLinear - 1)) + kLinear;
  const std::uint64_t low = top << shift;
  return low + ((std::uint64_t{1} << shift) - 1);
}

void Histogram::record(std::uint64_t value) {
  ++buckets_[bucket_of(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<long double>(value);
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double Histogram::mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

std::uint64_t Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(bucket_upper_bound(i), max_);
  }
  return max_;
}

}  // namespace switchboard::bench
