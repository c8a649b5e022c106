// Dispatcher: publishes pending commands from the outbox to their machines.
//
// A command is published (QoS 1, batched per machine as a CommandBatch, in issue order)
// when it is queued, again whenever its machine comes online, and again every
// resend_interval while its machine is online, until the machine's command.applied or
// command.rejected event resolves it. Rows are claimed and stamped before publishing
// (CommandOutbox::ClaimForDispatch), so several vend-cloud instances reacting to the
// same trigger send each command once; a publish that fails is retried by the timer.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <string>

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
  };

  Dispatcher(core::CommandOutbox& outbox, core::MessagePublisher& publisher,
             metrics::Registry& registry, Options options);

  // The machine came online: send its pending commands not sent since then.
  void OnMachineOnline(const std::string& machine);
  // New commands were queued: send every command never sent.
  void SendNew();
  // Timer: re-send commands of online machines unresolved for resend_interval.
  void ResendDue();
  // The cloud (re)connected to the broker: send everything pending not sent just now.
  void SendAllPending();

 private:
  // Returns the number of commands published.
  size_t Send(const core::DispatchScope& scope, const char* trigger);

  core::CommandOutbox& outbox_;
  core::MessagePublisher& publisher_;
  metrics::Registry& registry_;
  Options options_;
  metrics::Counter& published_;
  metrics::Counter& messages_;
  metrics::Counter& failures_;
};

}  // namespace vend::cloud::app
