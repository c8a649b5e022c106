// WorkerPool: bounded hand-off from the MQTT callback thread to worker threads.
//
// Messages are spread over lanes by a key (the machine id), one thread per lane, so one
// machine's messages are handled one at a time in arrival order (its status changes
// apply in order; its batches do not contend for its row lock). Offer never blocks:
// when a lane is full, or the bytes queued in all lanes pass the limit, the message is
// refused and the caller counts the drop. That is safe for events (the machine re-sends
// everything above its last ack after its ack timeout) and telemetry (QoS 0 anyway);
// presence messages may use `priority` to pass the per-lane limit (up to twice it).
//
// Thread safety: Offer from any thread; Start and Stop from one thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "mqtt/paho_bus.h"

namespace vend::cloud::app {

class WorkerPool {
 public:
  using Handler = std::function<void(const mqtt::InboundMessage&)>;

  WorkerPool(size_t workers, size_t lane_capacity, size_t max_bytes, Handler handler);
  ~WorkerPool();

  void Start();
  // Lets each worker finish its current message, then drops what is queued.
  void Stop();

  // False when the message was refused (queue full or stopped).
  bool Offer(mqtt::InboundMessage&& m, std::string_view key, bool priority);

  size_t Queued() const;

 private:
  struct Lane {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<mqtt::InboundMessage> queue;  // guarded by mu
    std::thread thread;
  };
  void Run(Lane& lane);

  const size_t lane_capacity_;
  const size_t max_bytes_;
  Handler handler_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::atomic<size_t> bytes_{0};
  std::atomic<size_t> queued_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace vend::cloud::app
