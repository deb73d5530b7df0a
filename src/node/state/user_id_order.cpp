#include "user_id_order.hpp"

namespace switchboard::node {

std::optional<std::uint64_t> numeric_user_id(std::string_view id) {
  constexpr std::uint64_t kMaxSafeInteger = (std::uint64_t{1} << 53) - 1;
  if (id.empty() || id.size() > 16 || (id.size() > 1 && id[0] == '0')) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : id) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n > kMaxSafeInteger) return std::nullopt;
  return n;
}

bool user_id_less(std::string_view a, std::string_view b) {
  const auto na = numeric_user_id(a);
  const auto nb = numeric_user_id(b);
  if (na.has_value() != nb.has_value()) return na.has_value();
  if (na) return *na < *nb;
  return a < b;
}

}  // namespace switchboard::node
