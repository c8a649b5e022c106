#include "app/scheduler.h"

#include <spdlog/spdlog.h>

namespace vend::cloud::app {

using Clock = std::chrono::steady_clock;

Scheduler::Scheduler(Dispatcher& dispatcher, core::CommandSignal& signal, core::FleetState& fleet,
                     Options options)
    : dispatcher_(dispatcher), signal_(signal), fleet_(fleet), options_(options) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() {
  running_ = true;
  thread_ = std::thread([this] { Run(); });
}

void Scheduler::Stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
}

void Scheduler::Run() {
  constexpr auto kTick = std::chrono::milliseconds(500);
  auto next_resend = Clock::now();
  auto next_prune = Clock::now();
  bool signal_ok = false;
  while (running_) {
    auto signalled = signal_.Wait(kTick);
    if (!signalled.ok()) {
      if (signal_ok) spdlog::warn("command signal unavailable: {}", signalled.status().ToString());
      signal_ok = false;
      // Without notifications, poll; and do not spin on a database that is down.
      dispatcher_.SendNew();
      std::this_thread::sleep_for(kTick);
    } else {
      // The first wait after (re)connecting may have missed notifications: look anyway.
      if (*signalled || !signal_ok) dispatcher_.SendNew();
      signal_ok = true;
    }
    if (connected_kick_.exchange(false)) dispatcher_.SendAllPending();
    auto now = Clock::now();
    if (now >= next_resend) {
      dispatcher_.ResendDue();
      next_resend = now + std::chrono::seconds(1);
    }
    if (now >= next_prune) {
      auto pruned = fleet_.PruneTelemetry(options_.telemetry_retention);
      if (!pruned.ok()) {
        spdlog::warn("telemetry prune failed: {}", pruned.status().ToString());
      } else if (*pruned > 0) {
        spdlog::info("telemetry pruned rows={}", *pruned);
      }
      next_prune = now + options_.prune_every;
    }
  }
}

}  // namespace vend::cloud::app
