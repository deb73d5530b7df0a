// A log-linear histogram in the spirit of HdrHistogram: values below 2^kSubBits are counted
// exactly; above, every power of two is split into 2^kSubBits equal buckets, so a recorded
// value is known within 1/128 (< 0.8 %) of itself. Fixed memory (~57 KiB), O(1) record.
//
// Thread safety: none; one histogram per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace switchboard::bench {

class Histogram {
 public:
  Histogram();

  void record(std::uint64_t value);
  void merge(const Histogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const { return max_; }
  double mean() const;

  // The smallest bucket upper bound at or below which a fraction `q` (0..1) of the values
  // lie; exact for small values, within the bucket width above. 0 when empty.
  std::uint64_t quantile(double q) const;

  static std::size_t bucket_of(std::uint64_t value);
  static std::uint64_t bucket_upper_bound(std::size_t bucket);

 private:
  static constexpr unsigned kSubBits = 7;

  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace switchboard::bench
