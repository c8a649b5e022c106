// Latch: a single-use countdown, like C++20's std::latch, for starting test threads
// together. Threads that Wait() block until CountDown() has been called `count` times.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace vend::test_support {

class Latch {
 public:
  explicit Latch(size_t count) : count_(count) {}

  void CountDown() {
    std::lock_guard<std::mutex> lock(mu_);
    if (count_ > 0 && --count_ == 0) cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return count_ == 0; });
  }
  void ArriveAndWait() {
    CountDown();
    Wait();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t count_;  // guarded by mu_
};

}  // namespace vend::test_support
