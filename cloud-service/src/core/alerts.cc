#include "core/alerts.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <tuple>

namespace vend::cloud::core {
namespace {

std::string Degrees(double c) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", c);
  return buf;
}

int Rank(const std::string& severity) { return severity == "critical" ? 0 : 1; }

}  // namespace

std::vector<Alert> EvaluateAlerts(const std::vector<MachineSnapshot>& machines,
                                  const std::vector<StockSnapshot>& stock,
                                  const std::vector<TelemetrySnapshot>& telemetry,
                                  const AlertOptions& options, Clock::time_point now) {
  std::vector<Alert> out;
  std::set<std::string> known;
  for (const auto& m : machines) {
    known.insert(m.id);
    const bool stale = !m.last_seen || now - *m.last_seen > options.offline_after;
    if (!m.online || stale) {
      Alert a{"offline", "critical", m.id, std::nullopt, "", m.last_seen, std::nullopt};
      if (!m.last_seen) {
        a.message = "Machine " + m.id + " has never been seen";
      } else {
        const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - *m.last_seen);
        a.value = static_cast<double>(age.count());
        a.message =
            "Machine " + m.id + " is offline (last seen " + std::to_string(age.count()) + " s ago)";
      }
      out.push_back(std::move(a));
    }
  }
  for (const auto& s : stock) {
    if (s.removed || known.count(s.machine) == 0 || s.count >= s.low_stock_threshold) continue;
    const bool empty = s.count <= 0;
    out.push_back({"low_stock", empty ? "critical" : "warning", s.machine, s.product_id,
                   (empty ? "Out of " : "Low stock of ") + s.product_name + " on " + s.machine +
                       ": " + std::to_string(s.count) + " left (threshold " +
                       std::to_string(s.low_stock_threshold) + ")",
                   s.updated_at, static_cast<double>(s.count)});
  }
  for (const auto& t : telemetry) {
    if (known.count(t.machine) == 0 || now - t.at > options.offline_after) continue;
    if (t.temperature_c >= options.temp_min_c && t.temperature_c <= options.temp_max_c) continue;
    out.push_back({"temperature", "critical", t.machine, std::nullopt,
                   "Temperature on " + t.machine + " is " + Degrees(t.temperature_c) +
                       " °C, outside " + Degrees(options.temp_min_c) + ".." +
                       Degrees(options.temp_max_c) + " °C",
                   t.at, t.temperature_c});
  }
  std::stable_sort(out.begin(), out.end(), [](const Alert& a, const Alert& b) {
    return std::make_tuple(Rank(a.severity), a.machine, a.kind, a.product_id.value_or(0)) <
           std::make_tuple(Rank(b.severity), b.machine, b.kind, b.product_id.value_or(0));
  });
  return out;
}

}  // namespace vend::cloud::core
