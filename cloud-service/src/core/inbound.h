// Validation of what machines publish, before anything touches the database.
//
// Every rejection carries a stable reason, used as the `reason` label of the
// vend_cloud_rejected_payloads_total counter:
//   oversized         payload over kMaxPayloadBytes or more than kMaxBatchEvents events
//   bad_json          not JSON, or not a JSON object
//   machine_mismatch  the batch's `machine` differs from the machine in its topic
//   unknown_type      an event type this cloud does not know
//   invalid_batch     any other field missing, ill-typed, out of range, or seq not ascending
//   invalid_telemetry / invalid_status   a telemetry or status payload that does not decode
// (unknown_machine is decided by the store: the machine is not provisioned.)
#pragma once

#include <cstddef>
#include <string_view>

#include "vend/status.h"
#include "vend/sync_messages.h"

namespace vend::cloud::core {

inline constexpr size_t kMaxPayloadBytes = size_t{1} << 20;

// A rejection: `reason` is one of the labels above.
Status Rejected(std::string reason, std::string message);

Result<schemas::EventBatch> ParseEventBatch(std::string_view topic_machine,
                                            std::string_view payload);
Result<schemas::Telemetry> ParseTelemetry(std::string_view payload);
Result<schemas::Presence> ParsePresence(std::string_view payload);

}  // namespace vend::cloud::core
