// Fleet alerts (admin contract "Alert rules"), as a pure function of what the database
// holds about machines, their stock and their latest telemetry at time `now`:
//
//   offline      critical  presence offline, never seen, or last_seen older than
//                          offline_after
//   low_stock    warning   count < the product's low_stock_threshold (critical at 0);
//                          removed products are ignored
//   temperature  critical  the latest sample is outside [temp_min_c, temp_max_c] and
//                          not older than offline_after (a stale sample says nothing)
//
// Boundaries are inclusive of the healthy side: an age of exactly offline_after is not
// offline, a temperature exactly at a limit is in range, count == threshold is not low.
// Thread safety: pure function.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vend::cloud::core {

using Clock = std::chrono::system_clock;

struct MachineSnapshot {
  std::string id;
  bool online = false;
  std::optional<Clock::time_point> last_seen;
};

struct StockSnapshot {
  std::string machine;
  int64_t product_id = 0;
  std::string product_name;
  int64_t count = 0;
  int64_t low_stock_threshold = 0;
  bool removed = false;
  std::optional<Clock::time_point> updated_at;
};

struct TelemetrySnapshot {
  std::string machine;
  Clock::time_point at;
  double temperature_c = 0;
};

struct AlertOptions {
  std::chrono::seconds offline_after{300};
  double temp_min_c = 0.0;
  double temp_max_c = 8.0;
};

struct Alert {
  std::string kind;      // "offline" | "low_stock" | "temperature"
  std::string severity;  // "warning" | "critical"
  std::string machine;
  std::optional<int64_t> product_id;
  std::string message;
  std::optional<Clock::time_point> since;
  std::optional<double> value;  // offline: seconds since last seen; low_stock: count; °C
};

// Alerts ordered critical first, then by machine, kind and product. Stock and telemetry
// of machines not in `machines` are ignored.
std::vector<Alert> EvaluateAlerts(const std::vector<MachineSnapshot>& machines,
                                  const std::vector<StockSnapshot>& stock,
                                  const std::vector<TelemetrySnapshot>& telemetry,
                                  const AlertOptions& options, Clock::time_point now);

}  // namespace vend::cloud::core
