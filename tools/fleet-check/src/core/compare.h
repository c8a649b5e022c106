// The fleet invariants of DESIGN.md section 4, checked on one machine's two snapshots.
// Pure: no I/O, no clock.
//
// The edge is the truth for what happened at the machine; the cloud must mirror it:
// - every order (by order id, with the same uuid, customer, product, price and status),
//   every refund and every deposit (by uuid, same id, customer and amount) exists
//   exactly once in PostgreSQL, and nothing exists there that the edge does not have;
// - the cloud's raw event log holds no event, order, refund, deposit or command outcome
//   twice, and every seq up to the watermark;
// - cloud stock for every (machine, product) equals the edge's count (a product the
//   cloud removed counts 0); customers' balances and names are equal;
// - no negative balance or stock on either side; on each side, deposits - paid orders
//   (- the unreturned part of refunds, which is 0 at the edge) == the sum of balances;
// - every command the edge has applied or rejected is resolved the same way in the
//   cloud, and the cloud resolved no command the edge never saw;
// - the cloud never acknowledged or applied past what the edge has, and every event is
//   either applied by the cloud or still in the edge's outbox (none lost);
// - once no command to the machine is pending, it sells exactly the cloud's catalog:
//   same products, names, prices (the machine's own price where one is set), images
//   and refundability.
//
// Events still in the edge's outbox above the cloud's watermark are folded onto the
// cloud snapshot before the projections are compared, as the cloud will apply them; so
// a machine that is not quiescent is compared exactly, and with `require_quiescence`
// (the default of the CLI) its pending events are reported as a difference on top.
#pragma once

#include <string>
#include <vector>

#include "core/snapshot.h"

namespace vend::fleet_check {

struct Difference {
  std::string area;  // "sync", "orders", "deposits", "customers", "stock", "money", ...
  std::string detail;
};

struct CompareOptions {
  // A non-empty outbox, or stored cloud events waiting above the watermark, is a
  // difference (the state after a run has quiesced); else only a note.
  bool require_quiescence = true;
};

struct MachineReport {
  std::vector<Difference> differences;
  std::vector<std::string> notes;  // facts worth printing that are not differences
  std::string summary;             // one line of counts
};

// `cloud` must have been read no later than `edge` (see SnapshotsComparable).
MachineReport CompareMachine(const std::string& machine, const EdgeSnapshot& edge,
                             const CloudSnapshot& cloud, const CompareOptions& options);

// Whether a cloud snapshot read before the edge snapshot can be compared with it. While
// the fleet runs, the cloud may apply and acknowledge more events between the two reads,
// and the edge then deletes them from its outbox: they would be in neither snapshot.
// That happened exactly when the edge's acked_seq is above the cloud's watermark; the
// caller then reads both again.
bool SnapshotsComparable(const EdgeSnapshot& edge, const CloudSnapshot& cloud);

}  // namespace vend::fleet_check
