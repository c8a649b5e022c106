#include "vend/money.h"

#include <cstdio>

namespace vend {

std::string Money::ToDecimalString() const {
  // Work on the magnitude as unsigned so INT64_MIN renders correctly.
  uint64_t mag = cents_ < 0 ? 0 - static_cast<uint64_t>(cents_) : static_cast<uint64_t>(cents_);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%llu.%02llu", cents_ < 0 ? "-" : "",
                static_cast<unsigned long long>(mag / 100),
                static_cast<unsigned long long>(mag % 100));
  return buf;
}

}  // namespace vend
