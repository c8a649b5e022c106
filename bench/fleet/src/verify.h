// Exactly-once check of a simulated fleet against vend-cloud's PostgreSQL (the
// invariants of DESIGN.md section 4): every event of every machine is in edge_events
// once (count per machine = last seq = max seq = watermark), and every projection the
// events feed equals the machine's own state — orders (count, cents), deposits (count,
// cents), each customer's balance and each product's stock.
//
// Thread safety: free functions; each opens its own connection.
#pragma once

#include <string>
#include <vector>

#include "vend/status.h"
#include "virtual_machine.h"

namespace vend::bench {

struct VerifyReport {
  int64_t machines = 0;
  int64_t events = 0;                // rows in edge_events of these machines
  int64_t mismatches = 0;            // machines that differ in anything
  std::vector<std::string> details;  // the first few differences, in words
};

// Compares every machine with PostgreSQL. The Result is an error only when the
// database cannot be read; differences are in the report.
Result<VerifyReport> VerifyFleet(const std::string& pg_url,
                                 const std::vector<const VirtualMachine*>& machines);

// Machines of `ids` that PostgreSQL shows online.
Result<int64_t> CountOnline(const std::string& pg_url, const std::vector<std::string>& ids);

struct SqlLatency {
  int64_t samples = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
};
// order.created events stamped at or after `from_unix_ms`: received_at (now() of the
// storing transaction, i.e. its start) minus the sale's `at`.
Result<SqlLatency> OrderLatencyInDatabase(const std::string& pg_url, int64_t from_unix_ms);

}  // namespace vend::bench
