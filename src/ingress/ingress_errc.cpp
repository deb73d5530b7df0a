#include "switchboard/ingress/ingress_sink.hpp"

namespace switchboard::ingress {

const std::error_category& ingress_category() noexcept {
  static const struct : std::error_category {
    const char* name() const noexcept override { return "ingress"; }
    std::string message(int value) const override {
      switch (static_cast<IngressErrc>(value)) {
        case IngressErrc::bad_target: return "not a valid channel or user id";
      }
      return "unknown ingress error";
    }
  } category;
  return category;
}

}  // namespace switchboard::ingress
