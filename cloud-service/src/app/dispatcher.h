// Dispatcher: publishes pending commands from the outbox to their machines.
//
// A command is published (QoS 1, batched per machine as a CommandBatch, in issue order)
// when it is queued, again whenever its machine comes online, and again every
// resend_interval while its machine is online, until the machine's command.applied or
// command.rejected event resolves it. Rows are claimed and stamped before publishing
// (CommandOutbox::ClaimForDispatch), so several vend-cloud instances reacting to the
// same trigger send each command once; a publish that fails is retried by the timer.
// A machine whose earlier commands another instance is claiming at that moment is left
// out of the claim (busy); the round is claimed again after busy_retry, at most
// busy_retries times, on the dispatcher's own retry thread (then the timer takes over).
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "core/ports.h"
#include "vend/metrics.h"

namespace vend::cloud::app {

class Dispatcher {
 public:
  struct Options {
    std::chrono::milliseconds resend_interval{30000};
    // After a broker reconnect, commands sent less than this long ago are not sent
    // again (another instance just did).
    std::chrono::milliseconds min_gap{2000};
    // A round that found a machine busy is claimed again after this delay (times the
    // attempt number), at most busy_retries times.
    std::chrono::milliseconds busy_retry{150};
    int busy_retries = 5;
  };

  // `outbox` and `publisher` must outlive the dispatcher. Starts the retry thread; the
  // destructor stops it (a pending retry is dropped).
  Dispatcher(core::CommandOutbox& outbox, core::MessagePublisher& publisher,
             metrics::Registry& registry, Options options);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // The machine came online: send its pending commands not sent since then.
  void OnMachineOnline(const std::string& machine);
  // New commands were queued: send every command never sent.
  void SendNew();
  // Timer: re-send commands of online machines unresolved for resend_interval.
  void ResendDue();
  // The cloud (re)connected to the broker: send everything pending not sent just now.
  void SendAllPending();

 private:
  using Clock = std::chrono::steady_clock;
  struct Retry {
    core::DispatchScope scope;
    const char* trigger;
    int attempt;
    Clock::time_point at;
  };

  // Returns the number of commands published. `attempt` > 0 for a busy retry.
  size_t Send(const core::DispatchScope& scope, const char* trigger, int attempt = 0);
  void ScheduleRetry(const core::DispatchScope& scope, const char* trigger, int attempt);
  void RetryLoop();

  core::CommandOutbox& outbox_;
  core::MessagePublisher& publisher_;
  metrics::Registry& registry_;
  Options options_;
  metrics::Counter& published_;
  metrics::Counter& messages_;
  metrics::Counter& failures_;
  metrics::Counter& busy_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                 // guarded by mu_
  std::map<std::string, Retry> retries_;  // by trigger and scope machine; guarded by mu_
  std::thread retry_thread_;              // last: starts after the members above exist
};

}  // namespace vend::cloud::app
