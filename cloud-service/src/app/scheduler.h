// Scheduler: the one background thread of vend-cloud besides the MQTT workers.
//
// Waits on the command signal (new commands queued anywhere) and runs, as they fall
// due: SendNew on a signal, ResendDue every second (each command is re-sent after
// resend_interval), SendAllPending after a broker (re)connect, and the telemetry
// history pruning every prune_every. When the signal source is unavailable it falls
// back to looking for unsent commands once a second.
//
// Thread safety: Kick from any thread; Start and Stop from one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include "app/dispatcher.h"
#include "core/ports.h"

namespace vend::cloud::app {

class Scheduler {
 public:
  struct Options {
    std::chrono::seconds telemetry_retention{7 * 24 * 3600};
    std::chrono::seconds prune_every{60};
  };

  Scheduler(Dispatcher& dispatcher, core::CommandSignal& signal, core::FleetState& fleet,
            Options options);
  ~Scheduler();

  void Start();
  void Stop();
  // The broker connection was (re)established.
  void OnConnected() { connected_kick_ = true; }

 private:
  void Run();

  Dispatcher& dispatcher_;
  core::CommandSignal& signal_;
  core::FleetState& fleet_;
  Options options_;
  std::atomic<bool> running_{false};
  std::atomic<bool> connected_kick_{false};
  std::thread thread_;
};

}  // namespace vend::cloud::app
