// The hand-off from the MQTT callback to the ingest workers: one machine's messages in
// arrival order, and a full queue refusing instead of blocking the callback.
#include "app/worker_pool.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

namespace vend::cloud::app {
namespace {

mqtt::InboundMessage Msg(std::string payload) {
  return {"vend/v1/m/vm/events", std::move(payload), std::chrono::steady_clock::now()};
}

// Blocks every handler call until Release.
class Gate {
 public:
  void Pass() {
    std::unique_lock<std::mutex> lock(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
  }
  void WaitEntered(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return entered_ >= n; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool open_ = false;
};

TEST(WorkerPool, HandlesOneKeysMessagesInArrivalOrder) {
  std::mutex mu;
  std::vector<std::string> seen;
  {
    WorkerPool pool(3, 1000, 1 << 20, [&](const mqtt::InboundMessage& m) {
      std::lock_guard<std::mutex> lock(mu);
      seen.push_back(m.payload);
    });
    pool.Start();
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(pool.Offer(Msg(std::to_string(i)), "vm-1", false));
    for (int spin = 0; spin < 500 && pool.Queued() > 0; ++spin) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    pool.Stop();
  }
  ASSERT_EQ(seen.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(seen[i], std::to_string(i));
}

TEST(WorkerPool, AFullLaneRefusesInsteadOfBlocking) {
  Gate gate;
  WorkerPool pool(1, 2, 1 << 20, [&](const mqtt::InboundMessage&) { gate.Pass(); });
  pool.Start();
  ASSERT_TRUE(pool.Offer(Msg("in hand"), "vm", false));
  gate.WaitEntered(1);
  EXPECT_TRUE(pool.Offer(Msg("q1"), "vm", false));
  EXPECT_TRUE(pool.Offer(Msg("q2"), "vm", false));
  EXPECT_FALSE(pool.Offer(Msg("q3"), "vm", false));
  // Presence may use twice the room.
  EXPECT_TRUE(pool.Offer(Msg("status"), "vm", true));
  EXPECT_TRUE(pool.Offer(Msg("status"), "vm", true));
  EXPECT_FALSE(pool.Offer(Msg("status"), "vm", true));
  gate.Release();
  pool.Stop();
}

TEST(WorkerPool, RefusesPastTheByteLimit) {
  Gate gate;
  WorkerPool pool(1, 100, 1000, [&](const mqtt::InboundMessage&) { gate.Pass(); });
  pool.Start();
  EXPECT_TRUE(pool.Offer(Msg(std::string(600, 'x')), "vm", false));
  EXPECT_FALSE(pool.Offer(Msg(std::string(600, 'x')), "vm", false));
  EXPECT_TRUE(pool.Offer(Msg(std::string(100, 'x')), "vm", false));
  gate.Release();
  pool.Stop();
}

}  // namespace
}  // namespace vend::cloud::app
