#include "scenarios.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "proc_stats.h"
#include "verify.h"

namespace vend::bench {
namespace {

using nlohmann::json;
using std::chrono::duration;
using std::chrono::milliseconds;
using std::chrono::seconds;

double Seconds(Clock::duration d) { return duration<double>(d).count(); }

// CPU and memory of the watched processes over a measured window.
class Window {
 public:
  explicit Window(const std::vector<Watched>& watch) : watch_(watch) {}

  void Start() {
    start_ = Clock::now();
    busy0_ = MachineBusySeconds();
    self0_ = SelfCpuSeconds();
    cpu0_.clear();
    for (const auto& w : watch_) cpu0_.push_back(SampleProcessTree(w.pid).cpu_s);
  }

  json Stop() {
    const double wall = Seconds(Clock::now() - start_);
    json out = json::object();
    double watched = 0;
    for (size_t i = 0; i < watch_.size(); ++i) {
      const auto u = SampleProcessTree(watch_[i].pid);
      const double cpu = u.cpu_s - cpu0_[i];
      watched += cpu;
      out[watch_[i].name] = {{"alive", u.alive},
                             {"cpu_s", cpu},
                             {"cpu_pct_of_one_core", 100 * cpu / wall},
                             {"peak_rss_mb", static_cast<double>(u.hwm_kb) / 1024},
                             {"rss_mb", static_cast<double>(u.rss_kb) / 1024},
                             {"processes", u.processes}};
    }
    const double self = SelfCpuSeconds() - self0_;
    const double busy = MachineBusySeconds() - busy0_;
    out["fleet-sim"] = {{"cpu_s", self}, {"cpu_pct_of_one_core", 100 * self / wall}};
    out["machine"] = {{"wall_s", wall},
                      {"busy_cpu_s", busy},
                      {"busy_pct_of_all_cores",
                       100 * busy / (wall * static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN)))},
                      {"other_cpu_s", busy - watched - self}};
    return out;
  }

 private:
  const std::vector<Watched>& watch_;
  Clock::time_point start_{};
  double busy0_ = 0, self0_ = 0;
  std::vector<double> cpu0_;
};

std::vector<std::string> Ids(const std::vector<Credential>& creds) {
  std::vector<std::string> ids;
  for (const auto& c : creds) ids.push_back(c.id);
  return ids;
}

// Runs the fleet until PostgreSQL shows exactly `want` of its machines online (vend-cloud
// has processed their status messages), polling every 250 ms.
bool WaitOnline(Fleet& fleet, const ScenarioOptions& o, int64_t want, seconds bound) {
  const auto ids = Ids(o.credentials);
  auto next_poll = Clock::now();
  int64_t seen = -1;
  const bool ok = fleet.RunUntil(
      [&] {
        if (Clock::now() < next_poll) return false;
        next_poll = Clock::now() + milliseconds(250);
        auto c = CountOnline(o.pg_url, ids);
        if (!c.ok()) spdlog::warn("counting online machines: {}", c.status().message());
        seen = c.ok() ? *c : -1;
        return seen == want;
      },
      Clock::now() + bound);
  if (!ok) spdlog::error("PostgreSQL shows {} machines online, expected {}", seen, want);
  return ok;
}

json Stats(const FleetStats& s) {
  return {{"connects", s.connects},
          {"connect_failures", s.connect_failures},
          {"links_lost", s.links_lost},
          {"batches_published", s.batches_published},
          {"events_published", s.events_published},
          {"status_published", s.status_published},
          {"telemetry_published", s.telemetry_published},
          {"puback_refused", s.puback_refused},
          {"subscribe_refused", s.subscribe_refused},
          {"acks_advance", s.acks_advance},
          {"acks_duplicate", s.acks_duplicate},
          {"acks_stale", s.acks_stale},
          {"acks_invalid", s.acks_invalid},
          {"bad_messages", s.bad_messages},
          {"ack_timeouts", s.ack_timeouts},
          {"commands_rejected", s.commands_rejected},
          {"sales", s.sales},
          {"sold_out", s.sold_out},
          {"mb_out", static_cast<double>(s.bytes_out) / 1e6},
          {"mb_in", static_cast<double>(s.bytes_in) / 1e6}};
}

// What changed between two Stats() snapshots.
json StatsDelta(const json& after, const json& before) {
  json d = json::object();
  for (auto it = after.begin(); it != after.end(); ++it) {
    d[it.key()] = it.value().get<double>() - before.at(it.key()).get<double>();
  }
  return d;
}

// Nearest-rank percentile of sorted samples.
double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

// The exactly-once check; logs every difference it reports.
bool Verify(Fleet& fleet, const ScenarioOptions& o, int64_t expected_events, json* report) {
  std::vector<const VirtualMachine*> machines;
  for (size_t i = 0; i < fleet.size(); ++i) machines.push_back(&fleet.machine(i));
  auto v = VerifyFleet(o.pg_url, machines);
  if (!v.ok()) {
    spdlog::error("verification could not read PostgreSQL: {}", v.status().message());
    return false;
  }
  const bool ok = v->mismatches == 0 && v->events == expected_events;
  (*report)["verify"] = {{"ok", ok},
                         {"machines", v->machines},
                         {"events_in_postgres", v->events},
                         {"events_expected", expected_events},
                         {"machines_differing", v->mismatches},
                         {"details", v->details}};
  if (ok) {
    spdlog::info(
        "exactly-once verified: {} machines, {} events in edge_events, every watermark at "
        "its machine's last seq, orders/deposits/balances/stock equal",
        v->machines, v->events);
  } else {
    spdlog::error(
        "EXACTLY-ONCE CHECK FAILED: {} events in PostgreSQL, {} expected; {} machine(s) "
        "differ",
        v->events, expected_events, v->mismatches);
    for (const auto& d : v->details) spdlog::error("  {}", d);
  }
  return ok;
}

void WriteReport(const ScenarioOptions& o, const json& report) {
  std::cout << report.dump(2) << std::endl;
  if (o.report_path.empty()) return;
  std::ofstream f(o.report_path, std::ios::trunc);
  f << report.dump(2) << "\n";
}

int64_t TotalEvents(Fleet& fleet) {
  int64_t total = 0;
  for (size_t i = 0; i < fleet.size(); ++i) total += fleet.machine(i).last_seq();
  return total;
}

}  // namespace

int RunCatchup(const ScenarioOptions& o) {
  Fleet fleet(o.fleet, o.credentials);
  const size_t n = fleet.size();
  if (o.events_per_machine < 8) {
    spdlog::error("--events must be at least 8 (4 stock seeds, then sales)");
    return 1;
  }
  if (o.outage) {
    spdlog::info("connecting {} machines to create their sessions", n);
    fleet.ConnectAll();
    if (!fleet.RunUntil([&] { return fleet.connected() == n; }, Clock::now() + seconds(120))) {
      spdlog::error("only {} of {} machines connected", fleet.connected(), n);
      return 1;
    }
    if (!WaitOnline(fleet, o, static_cast<int64_t>(n), seconds(120))) return 1;
    spdlog::info("network outage: every link cut, the broker publishes the wills");
    fleet.DropAll();
    if (!WaitOnline(fleet, o, 0, seconds(120))) return 1;
  }
  // Sales made while offline, spread over the last hour.
  const auto start = std::chrono::system_clock::now() - std::chrono::hours(1);
  const auto step = milliseconds(3600 * 1000 / static_cast<int64_t>(o.events_per_machine));
  for (size_t i = 0; i < n; ++i) {
    auto& vm = fleet.machine(i);
    vm.Seed(o.seed_stock, start);
    vm.Backlog(o.events_per_machine - static_cast<size_t>(vm.last_seq()), start, step);
    if (o.pre_encode) vm.PreEncode(o.fleet.drainer.batch_size);
  }
  const int64_t total = TotalEvents(fleet);
  spdlog::info("{} machines hold {} unacknowledged events; all reconnect now", n, total);

  Window window(o.watch);
  window.Start();
  const auto t0 = Clock::now();
  Clock::time_point all_connected{};
  fleet.ConnectAll();
  const bool done = fleet.RunUntil(
      [&] {
        if (all_connected == Clock::time_point{} && fleet.connected() == n) {
          all_connected = Clock::now();
        }
        return fleet.caught_up() == n;
      },
      t0 + o.timeout);
  const auto t1 = Clock::now();
  json resources = window.Stop();
  const double elapsed = Seconds(t1 - t0);
  const auto& s = fleet.stats();

  json report = {
      {"scenario", "catch-up"},
      {"machines", n},
      {"events_per_machine", o.events_per_machine},
      {"events", total},
      {"batch", o.fleet.drainer.batch_size},
      {"window", o.fleet.drainer.window},
      {"outage_first", o.outage},
      {"completed", done},
      {"elapsed_s", elapsed},
      {"all_connected_after_s",
       all_connected == Clock::time_point{} ? json(nullptr) : json(Seconds(all_connected - t0))},
      {"events_per_s", static_cast<double>(total) / elapsed},
      {"event_messages_per_s", static_cast<double>(s.batches_published) / elapsed},
      {"all_messages_per_s",
       static_cast<double>(s.batches_published + s.status_published + s.telemetry_published) /
           elapsed},
      {"fleet", Stats(s)},
      {"resources", resources}};
  if (!done) {
    spdlog::error("catch-up did not finish within {} s: {} of {} machines caught up",
                  o.timeout.count(), fleet.caught_up(), n);
  } else {
    spdlog::info("catch-up: {} events in {:.2f} s = {:.0f} events/s ({:.0f} batches/s)", total,
                 elapsed, static_cast<double>(total) / elapsed,
                 static_cast<double>(s.batches_published) / elapsed);
  }
  const bool verified = Verify(fleet, o, total, &report);
  WriteReport(o, report);
  fleet.DisconnectAll(milliseconds(5000));
  return done && verified ? 0 : 1;
}

int RunSteady(const ScenarioOptions& o) {
  Fleet fleet(o.fleet, o.credentials);
  const size_t n = fleet.size();
  const auto now_sys = std::chrono::system_clock::now();
  for (size_t i = 0; i < n; ++i) fleet.machine(i).Seed(o.seed_stock, now_sys);
  spdlog::info("connecting {} machines", n);
  fleet.ConnectAll();
  if (!fleet.RunUntil([&] { return fleet.connected() == n && fleet.caught_up() == n; },
                      Clock::now() + seconds(300))) {
    spdlog::error("{} of {} machines connected, {} caught up", fleet.connected(), n,
                  fleet.caught_up());
    return 1;
  }
  if (!WaitOnline(fleet, o, static_cast<int64_t>(n), seconds(120))) return 1;
  fleet.RunUntil([] { return false; }, Clock::now() + o.settle);

  const auto record_from = Clock::now() + o.warmup;
  const auto record_from_sys = std::chrono::system_clock::now() + o.warmup;
  spdlog::info("{} machines connected; sales at {:.0f}/s for {} s (+{} s warm-up)", n, o.rate,
               o.duration.count(), o.warmup.count());
  fleet.StartSales(o.rate, record_from);
  fleet.RunUntil([] { return false; }, record_from);
  Window window(o.watch);
  window.Start();
  const auto stats0 = fleet.stats();
  const int64_t events0 = TotalEvents(fleet);
  fleet.RunUntil([] { return false; }, record_from + o.duration);
  fleet.StopSales();
  json resources = window.Stop();
  const auto stats1 = fleet.stats();
  const int64_t events1 = TotalEvents(fleet);
  const bool drained =
      fleet.RunUntil([&] { return fleet.caught_up() == n; }, Clock::now() + seconds(120));
  if (!drained) {
    spdlog::error("not drained 120 s after the last sale: {} of {} machines caught up",
                  fleet.caught_up(), n);
  }

  std::vector<double> lat = fleet.latencies_ms();
  std::sort(lat.begin(), lat.end());
  const double window_s = static_cast<double>(o.duration.count());
  const int64_t sales = stats1.sales - stats0.sales;
  const int64_t batches = stats1.batches_published - stats0.batches_published;
  const int64_t messages = batches + (stats1.status_published - stats0.status_published) +
                           (stats1.telemetry_published - stats0.telemetry_published);
  json report = {
      {"scenario", "steady"},
      {"machines", n},
      {"rate_target_per_s", o.rate},
      {"duration_s", window_s},
      {"warmup_s", o.warmup.count()},
      {"batch", o.fleet.drainer.batch_size},
      {"window", o.fleet.drainer.window},
      {"telemetry_interval_s", std::chrono::duration<double>(o.fleet.telemetry_interval).count()},
      {"sales_per_s", static_cast<double>(sales) / window_s},
      {"events_per_s", static_cast<double>(events1 - events0) / window_s},
      {"event_messages_per_s", static_cast<double>(batches) / window_s},
      {"all_messages_per_s", static_cast<double>(messages) / window_s},
      {"drained", drained},
      {"latency_sale_to_ack_ms",
       {{"samples", lat.size()},
        {"waiting", fleet.sales_waiting()},
        {"p50", Percentile(lat, 0.50)},
        {"p90", Percentile(lat, 0.90)},
        {"p99", Percentile(lat, 0.99)},
        {"p999", Percentile(lat, 0.999)},
        {"max", lat.empty() ? 0 : lat.back()}}},
      {"fleet", Stats(stats1)},
      {"fleet_in_window", StatsDelta(Stats(stats1), Stats(stats0))},
      {"resources", resources}};
  const int64_t from_ms =
      std::chrono::duration_cast<milliseconds>(record_from_sys.time_since_epoch()).count();
  if (auto sql = OrderLatencyInDatabase(o.pg_url, from_ms); sql.ok()) {
    report["latency_sale_to_transaction_start_ms"] = {{"samples", sql->samples},
                                                      {"p50", sql->p50_ms},
                                                      {"p99", sql->p99_ms},
                                                      {"max", sql->max_ms}};
  }
  spdlog::info(
      "steady: {} sales/s, sale-to-ack p50 {:.1f} ms p99 {:.1f} ms max {:.1f} ms ({} samples)",
      static_cast<double>(sales) / window_s, Percentile(lat, 0.5), Percentile(lat, 0.99),
      lat.empty() ? 0 : lat.back(), lat.size());
  const bool verified = Verify(fleet, o, TotalEvents(fleet), &report);
  WriteReport(o, report);
  fleet.DisconnectAll(milliseconds(5000));
  return drained && verified ? 0 : 1;
}

}  // namespace vend::bench
