#include "app/worker_pool.h"

#include <algorithm>

namespace vend::cloud::app {

WorkerPool::WorkerPool(size_t workers, size_t lane_capacity, size_t max_bytes, Handler handler)
    : lane_capacity_(lane_capacity), max_bytes_(max_bytes), handler_(std::move(handler)) {
  for (size_t i = 0; i < std::max<size_t>(workers, 1); ++i)
    lanes_.push_back(std::make_unique<Lane>());
}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::Start() {
  for (auto& lane : lanes_) {
    Lane* l = lane.get();
    l->thread = std::thread([this, l] { Run(*l); });
  }
}

void WorkerPool::Stop() {
  stopping_ = true;
  for (auto& lane : lanes_) {
    {
      std::lock_guard<std::mutex> lock(lane->mu);
      lane->queue.clear();
    }
    lane->cv.notify_all();
  }
  for (auto& lane : lanes_) {
    if (lane->thread.joinable()) lane->thread.join();
  }
}

bool WorkerPool::Offer(mqtt::InboundMessage&& m, std::string_view key, bool priority) {
  if (stopping_) return false;
  const size_t size = m.payload.size() + m.topic.size();
  if (!priority && bytes_.load() + size > max_bytes_) return false;
  Lane& lane = *lanes_[std::hash<std::string_view>()(key) % lanes_.size()];
  {
    std::lock_guard<std::mutex> lock(lane.mu);
    if (lane.queue.size() >= (priority ? 2 * lane_capacity_ : lane_capacity_)) return false;
    lane.queue.push_back(std::move(m));
    bytes_ += size;
    ++queued_;
  }
  lane.cv.notify_one();
  return true;
}

size_t WorkerPool::Queued() const { return queued_.load(); }

void WorkerPool::Run(Lane& lane) {
  for (;;) {
    mqtt::InboundMessage m;
    {
      std::unique_lock<std::mutex> lock(lane.mu);
      lane.cv.wait(lock, [&] { return stopping_ || !lane.queue.empty(); });
      if (stopping_) return;
      m = std::move(lane.queue.front());
      lane.queue.pop_front();
    }
    handler_(m);
    bytes_ -= m.payload.size() + m.topic.size();
    --queued_;
  }
}

}  // namespace vend::cloud::app
