// The roles the cloud's services need from the outside world. Adapters implement them
// by technology (PgStore for PostgreSQL, PahoBus for MQTT, DynsecProvisioner for the
// broker's dynamic-security plugin); only main.cc names those concrete types.
//
// Thread safety: every implementation may be called from any number of threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/catalog.h"
#include "vend/status.h"
#include "vend/sync_messages.h"

namespace vend::cloud::core {

// What one batch did to a machine's event log.
struct IngestOutcome {
  int64_t watermark = 0;  // highest seq applied after the batch: the ack's `upto`
  size_t inserted = 0;    // events stored for the first time
  size_t duplicates = 0;  // events of the batch already stored
  size_t applied = 0;     // events applied to the projections by this batch
  bool gap = false;       // stored events wait above the watermark for a missing seq
};

// The event log and its projections.
class EventLedger {
 public:
  virtual ~EventLedger() = default;
  // In one transaction: stores the batch's events that are new, applies every stored
  // contiguous event above the machine's watermark and advances it. NotFound with reason
  // "unknown_machine" when the machine is not provisioned; nothing is then stored.
  // `payload`, when not empty, is the JSON text `batch` was decoded from (strictly: the
  // decoder accepts no extra or loosely typed fields); the store may write its events
  // from it instead of re-encoding them.
  virtual Result<IngestOutcome> Ingest(const schemas::EventBatch& batch,
                                       std::string_view payload = {}) = 0;
};

// Presence and telemetry of machines.
class FleetState {
 public:
  virtual ~FleetState() = default;
  // NotFound "unknown_machine" when the machine is not provisioned.
  virtual Status RecordPresence(const std::string& machine, const schemas::Presence& p) = 0;
  virtual Status RecordTelemetry(const std::string& machine, const schemas::Telemetry& t) = 0;
  // Deletes telemetry history received more than `retention` ago; returns rows deleted.
  virtual Result<int64_t> PruneTelemetry(std::chrono::seconds retention) = 0;
};

struct FleetCounts {
  int64_t machines = 0;
  int64_t online = 0;
  int64_t pending_commands = 0;
};

// Cheap read-only probes for /healthz and /metrics.
class FleetProbe {
 public:
  virtual ~FleetProbe() = default;
  virtual Status Ping() = 0;
  virtual Result<FleetCounts> Counts() = 0;
};

// Which pending commands a dispatch round sends.
struct DispatchScope {
  std::string machine;       // empty: every machine
  bool only_online = false;  // skip machines whose presence is offline
  bool only_unsent = false;  // only commands never sent yet
  // Skip commands sent less than this long ago (by this or another instance).
  std::chrono::milliseconds min_resend_gap{0};
  // Only commands not sent since the machine's current online period began (so every
  // instance that sees the same "online" sends a command once between them).
  bool not_sent_since_online = false;
  size_t limit = 5000;
};

struct MachineCommands {
  std::string machine;
  std::vector<schemas::Command> commands;  // in issue order
};

struct DispatchClaim {
  std::vector<MachineCommands> machines;
  // Machines with due commands left out of this claim because another instance holds
  // some of their earlier pending commands; claim again shortly.
  std::vector<std::string> busy_machines;
  // Due rows of the busy machines (they count towards the page limit, unclaimed).
  size_t busy_rows = 0;
};

// The command outbox.
class CommandOutbox {
 public:
  virtual ~CommandOutbox() = default;
  // Claims the pending commands in `scope` and records them as sent now (sent_count,
  // last_sent_at) in one short transaction. Rows another instance is claiming at the
  // same moment are skipped, so concurrent instances do not send the same command twice
  // within min_resend_gap. A machine's claim carries all its pending commands issued
  // before its due ones, in issue order; when some of those are held by another
  // instance, nothing of that machine is claimed and it is listed in busy_machines
  // (never a newer command without the older ones, and no waiting on locks).
  virtual Result<DispatchClaim> ClaimForDispatch(const DispatchScope& scope) = 0;
};

// Wakes the dispatcher when a transaction has queued new commands (from any process).
class CommandSignal {
 public:
  virtual ~CommandSignal() = default;
  // Blocks until a signal or `timeout`; true when signalled. An error when the signal
  // source is unavailable (the caller then falls back to its timer).
  virtual Result<bool> Wait(std::chrono::milliseconds timeout) = 0;
};

struct MachineSummary {
  std::string id;
  bool online = false;
  std::string last_seen;  // ISO 8601, empty when never seen
  std::string agent_version;
  int64_t watermark = 0;
  int64_t pending_commands = 0;
};

// Provisioning and catalog changes. Each change and the commands it sends to machines
// commit in one transaction; on any error nothing is changed. Catalog, stock and price
// changes are written to the audit log as actor "cli".
class FleetAdmin {
 public:
  virtual ~FleetAdmin() = default;
  // Conflict "machine_exists" when the id is taken. Queues product.upsert of the whole
  // current catalog to the new machine.
  virtual Result<size_t> AddMachine(const std::string& id, const std::string& mqtt_username) = 0;
  virtual Result<bool> MachineExists(const std::string& id) = 0;
  virtual Result<std::vector<MachineSummary>> ListMachines() = 0;
  // Conflict "product_exists" for an id in the catalog (a removed id may be added again).
  virtual Result<size_t> AddProduct(const CatalogProduct& p) = 0;
  virtual Result<size_t> UpdateProduct(int64_t id, const ProductPatch& patch) = 0;
  virtual Result<size_t> RemoveProduct(int64_t id) = 0;
  virtual Status SetStock(const std::string& machine, int64_t product, int64_t count) = 0;
  virtual Status AddStock(const std::string& machine, int64_t product, int64_t delta) = 0;
  virtual Status SetPrice(const std::string& machine, int64_t product, int64_t cents) = 0;
};

// Sends MQTT messages. Publish only queues: it never waits for the broker.
class MessagePublisher {
 public:
  virtual ~MessagePublisher() = default;
  // Unavailable while disconnected.
  virtual Status Publish(const std::string& topic, const std::string& payload, int qos,
                         bool retained) = 0;
  virtual bool Connected() const = 0;
};

// What a machine needs to connect.
struct MachineCredential {
  std::string username;
  std::string password;
};

// Creates a machine's own broker credential, allowed only that machine's topics.
class CredentialProvisioner {
 public:
  virtual ~CredentialProvisioner() = default;
  // Replaces any credential of the same name left from an earlier attempt.
  virtual Result<MachineCredential> CreateMachineCredential(const std::string& machine) = 0;
};

}  // namespace vend::cloud::core
