// Backoff: capped exponential backoff with full jitter for reconnecting to the broker.
//
// The n-th consecutive failure waits a uniformly random time in [0, min(cap, initial *
// 2^n)] ("full jitter"), so a fleet that lost its broker at the same instant spreads its
// reconnects over the whole interval instead of arriving in waves. The caller supplies
// the random number, which keeps this class deterministic under test.
//
// Thread safety: none; one thread owns a Backoff.
#pragma once

#include <chrono>

namespace vend::edge::core {

class Backoff {
 public:
  // initial > 0, cap >= initial.
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds cap);

  // The wait before the next attempt, for a failure just seen; `uniform01` in [0, 1).
  std::chrono::milliseconds NextDelay(double uniform01);
  // The connection succeeded: the next failure starts from `initial` again.
  void Reset() { failures_ = 0; }
  int failures() const { return failures_; }
  // The upper bound of the next NextDelay.
  std::chrono::milliseconds CurrentCeiling() const;

 private:
  const std::chrono::milliseconds initial_;
  const std::chrono::milliseconds cap_;
  int failures_ = 0;
};

}  // namespace vend::edge::core
