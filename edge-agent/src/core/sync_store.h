// SyncStore: what the MQTT sync needs from the machine's durable state — the outbox
// (rule 1 of DESIGN.md section 4) and the command inbox (rule 4).
//
// Every mutating call is one atomic, durable transaction. Thread safety: all methods
// may be called concurrently from any thread, and concurrently with KioskStore calls.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/kiosk_store.h"
#include "core/model.h"
#include "vend/commands.h"
#include "vend/events.h"
#include "vend/status.h"

namespace vend::edge::core {

struct CommandOutcome {
  bool applied = false;  // else rejected
  std::string reason;    // when rejected
  // The id had been handled before: nothing was changed or appended this time, and
  // `applied`/`reason` are the original outcome.
  bool duplicate = false;
  // A config.set that was applied: the caller makes it take effect.
  std::optional<schemas::ConfigSet> config;
};

class SyncStore {
 public:
  virtual ~SyncStore() = default;

  // Unacknowledged events with seq > after_seq, ascending, at most `limit`.
  virtual Result<std::vector<schemas::Event>> PendingEvents(int64_t after_seq, int limit) = 0;
  // The cloud has durably applied every event up to `upto`: they leave the outbox.
  virtual Status Acknowledge(int64_t upto) = 0;
  virtual Result<OutboxStats> Outbox() = 0;
  // The newest seq ever appended; cheaper than Outbox() (no count), read on every ack.
  virtual Result<int64_t> LastSeq() = 0;
  // The catalog snapshot with counts (for telemetry).
  virtual std::shared_ptr<const std::vector<Product>> Products() = 0;

  // Applies the command exactly once: its changes, the applied_commands row and its
  // events (the last being command.applied or command.rejected) in one transaction. A
  // command id seen before changes nothing and reports the original outcome.
  virtual Result<CommandOutcome> ApplyCommand(const schemas::Command& command) = 0;
  // Records a command that could not be decoded as rejected (once per id, like
  // ApplyCommand): a command.rejected event echoing `type` with `reason`.
  virtual Result<CommandOutcome> RejectCommand(const std::string& command_id, std::string_view type,
                                               std::string_view reason) = 0;
  // Settings stored by config.set, by key.
  virtual Result<std::map<std::string, int64_t>> Config() = 0;

  // `listener` runs after every commit that appended outbox events, on the committing
  // thread, after the store's locks are released. It must be quick and must not call
  // back into the store's write path (it only wakes the drainer). An empty function
  // removes it.
  virtual void SetEventsAppendedListener(std::function<void()> listener) = 0;
};

}  // namespace vend::edge::core
