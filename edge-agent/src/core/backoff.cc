#include "core/backoff.h"

#include <algorithm>

namespace vend::edge::core {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds cap)
    : initial_(std::max(initial, std::chrono::milliseconds(1))), cap_(std::max(cap, initial_)) {}

std::chrono::milliseconds Backoff::CurrentCeiling() const {
  auto ceiling = initial_;
  // Doubling stops at the cap, so the loop is short and cannot overflow.
  for (int i = 0; i < failures_ && ceiling < cap_; ++i) ceiling *= 2;
  return std::min(ceiling, cap_);
}

std::chrono::milliseconds Backoff::NextDelay(double uniform01) {
  const auto ceiling = CurrentCeiling();
  ++failures_;
  const double u = std::clamp(uniform01, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(u * static_cast<double>(ceiling.count())));
}

}  // namespace vend::edge::core
