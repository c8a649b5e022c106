// fleet-sim: a fleet of simulated vending machines speaking VendFleet's sync protocol
// to a real broker and vend-cloud, for the benchmark in bench/RESULTS.md. Parses the
// command line and hands over to provision.h and scenarios.h.
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <regex>

#include "provision.h"
#include "scenarios.h"

namespace {

using namespace vend::bench;

bool ParseBrokerUrl(const std::string& url, std::string* host, uint16_t* port) {
  static const std::regex re(R"(^(?:tcp|mqtt)://([0-9.]+):([0-9]{1,5})$)");
  std::smatch m;
  if (!std::regex_match(url, m, re)) return false;
  *host = m[1];
  *port = static_cast<uint16_t>(std::stoi(m[2]));
  return true;
}

// Descriptors: one per machine plus a few; the soft limit is raised to the hard one.
void RaiseFdLimit(size_t machines) {
  rlimit r{};
  getrlimit(RLIMIT_NOFILE, &r);
  if (r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
  if (r.rlim_cur < machines + 64) {
    spdlog::warn("open-file limit {} is below {} machines + 64: raise ulimit -n", r.rlim_cur,
                 machines);
  }
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  CLI::App app{
      "fleet-sim - simulated vending machines speaking VendFleet's sync protocol (MQTT v5,\n"
      "one connection and credential per machine) to a real broker and vend-cloud, and\n"
      "checking exactly-once delivery in PostgreSQL afterwards. See bench/fleet/run.sh."};
  app.require_subcommand(1);
  app.fallthrough();  // --log-level before or after the subcommand
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str();

  // provision
  std::string prefix = "vm", creds_path, dynsec_file, pg_url, mqtt_url, admin_user, admin_password;
  size_t machines = 1000, per_message = 50;
  auto* prov = app.add_subcommand(
      "provision",
      "Create N machines as `vend-cloud machine add` would: rows in vend-cloud's machines\n"
      "table (migrated, empty catalog) and per-machine dynamic-security clients and roles.");
  prov->add_option("--machines", machines, "How many")->capture_default_str();
  prov->add_option("--prefix", prefix, "Machine ids are PREFIX-00001 ...")->capture_default_str();
  prov->add_option("--credentials", creds_path, "Where to write \"ID PASSWORD\" lines")->required();
  prov->add_option("--pg", pg_url, "vend-cloud's PostgreSQL URL")
      ->envname("VEND_PG_URL")
      ->required();
  auto* o_file =
      prov->add_option("--dynsec-file", dynsec_file,
                       "Write the clients into this dynamic-security.json (broker stopped; O(N))");
  auto* o_online = prov->add_option(
      "--dynsec-online", mqtt_url,
      "Or create them through the running broker at this URL (admin API; O(N^2) in Mosquitto 2.0)");
  o_file->excludes(o_online);
  prov->add_option("--admin-user", admin_user, "Broker admin (for --dynsec-online)")
      ->envname("VEND_MQTT_ADMIN_USER");
  prov->add_option("--admin-password", admin_password, "Broker admin password")
      ->envname("VEND_MQTT_ADMIN_PASSWORD");
  prov->add_option("--per-message", per_message, "Machines per control message (--dynsec-online)")
      ->capture_default_str();

  // scenarios
  ScenarioOptions so;
  std::string run_mqtt;
  std::vector<std::string> watch;
  size_t limit = 0;
  double ack_timeout_s = 10, telemetry_s = 60;
  int64_t timeout_s = 600, duration_s = 60, warmup_s = 5, settle_s = 5;
  size_t batch = 0, window = 0;
  auto add_common = [&](CLI::App* sub) {
    sub->add_option("--credentials", creds_path, "From `fleet-sim provision`")->required();
    sub->add_option("--machines", limit, "Use only the first N machines (0: all)");
    sub->add_option("--mqtt", run_mqtt, "Broker URL tcp://HOST:PORT")
        ->envname("VEND_MQTT_URL")
        ->required();
    sub->add_option("--pg", so.pg_url, "vend-cloud's PostgreSQL URL (for the exactly-once check)")
        ->envname("VEND_PG_URL")
        ->required();
    sub->add_option("--batch", batch, "Most events per message (edge: --sync-batch)");
    sub->add_option("--window", window, "Most unacknowledged batches (edge: --sync-window)");
    sub->add_option("--ack-timeout", ack_timeout_s, "Seconds before re-sending from the last ack")
        ->capture_default_str();
    sub->add_option("--telemetry", telemetry_s, "Telemetry interval in seconds, 0 for none")
        ->capture_default_str();
    sub->add_option("--max-connecting", so.fleet.max_connecting,
                    "Connection attempts in progress at once (0: no limit)")
        ->capture_default_str();
    sub->add_option("--watch", watch,
                    "NAME=PID of a process (tree) whose CPU and peak RSS to report; repeatable");
    sub->add_option("--report", so.report_path, "Write the JSON report here too");
    sub->add_option("--seed", so.fleet.seed, "Random seed")->capture_default_str();
  };
  auto* catchup = app.add_subcommand(
      "catchup", "Machines with a backlog all reconnect at once; time until every event is acked");
  add_common(catchup);
  catchup->add_option("--events", so.events_per_machine, "Buffered events per machine")
      ->capture_default_str();
  catchup->add_option("--timeout", timeout_s, "Give up after this many seconds")
      ->capture_default_str();
  bool no_outage = false, no_pre_encode = false;
  catchup->add_flag(
      "--no-outage", no_outage,
      "Skip the first connect + simulated outage (fresh sessions at the measured connect)");
  catchup->add_flag("--no-pre-encode", no_pre_encode,
                    "Encode batches on the loop thread while measuring (default: before)");

  auto* steady = app.add_subcommand(
      "steady", "Connected machines selling at a fleet-wide rate; sale-to-ack latency");
  add_common(steady);
  steady->add_option("--rate", so.rate, "Sales per second over the fleet")->capture_default_str();
  steady->add_option("--duration", duration_s, "Measured seconds")->capture_default_str();
  steady->add_option("--warmup", warmup_s, "Seconds of sales before measuring")
      ->capture_default_str();
  steady->add_option("--settle", settle_s, "Idle seconds after everyone is online")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  spdlog::set_default_logger(spdlog::stderr_color_mt("fleet-sim"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ fleet-sim %v", spdlog::pattern_time_type::utc);
  spdlog::set_level(spdlog::level::from_str(log_level));

  if (prov->parsed()) {
    if (dynsec_file.empty() && mqtt_url.empty()) {
      std::cerr << "give --dynsec-file or --dynsec-online\n";
      return 2;
    }
    auto creds = NewCredentials(prefix, machines);
    const auto t0 = std::chrono::steady_clock::now();
    if (auto s = InsertMachines(pg_url, creds); !s.ok()) {
      spdlog::error("{}", s.ToString());
      return 1;
    }
    const auto t1 = std::chrono::steady_clock::now();
    vend::Status s;
    if (!dynsec_file.empty()) {
      s = WriteDynsecConfig(dynsec_file, creds);
    } else {
      std::string host;
      uint16_t port = 0;
      if (!ParseBrokerUrl(mqtt_url, &host, &port)) {
        std::cerr << "--dynsec-online wants tcp://HOST:PORT\n";
        return 2;
      }
      s = ProvisionDynsecOnline(host, port, admin_user, admin_password, creds, per_message);
    }
    if (!s.ok()) {
      spdlog::error("{}", s.ToString());
      return 1;
    }
    const auto t2 = std::chrono::steady_clock::now();
    if (auto saved = SaveCredentials(creds_path, creds); !saved.ok()) {
      spdlog::error("{}", saved.ToString());
      return 1;
    }
    spdlog::info("provisioned {} machines: PostgreSQL {:.2f} s, dynamic security ({}) {:.2f} s",
                 machines, std::chrono::duration<double>(t1 - t0).count(),
                 dynsec_file.empty() ? "online" : "file",
                 std::chrono::duration<double>(t2 - t1).count());
    return 0;
  }

  auto creds = LoadCredentials(creds_path);
  if (!creds.ok()) {
    spdlog::error("{}", creds.status().ToString());
    return 2;
  }
  so.credentials = std::move(creds).value();
  if (limit > 0 && limit < so.credentials.size()) so.credentials.resize(limit);
  if (!ParseBrokerUrl(run_mqtt, &so.fleet.host, &so.fleet.port)) {
    std::cerr << "--mqtt wants tcp://HOST:PORT\n";
    return 2;
  }
  for (const auto& w : watch) {
    const auto eq = w.find('=');
    if (eq == std::string::npos) {
      std::cerr << "--watch wants NAME=PID\n";
      return 2;
    }
    so.watch.push_back({w.substr(0, eq), static_cast<pid_t>(std::stol(w.substr(eq + 1)))});
  }
  RaiseFdLimit(so.credentials.size());
  so.fleet.drainer.ack_timeout =
      std::chrono::milliseconds(static_cast<int64_t>(ack_timeout_s * 1000));
  so.fleet.telemetry_interval = std::chrono::milliseconds(static_cast<int64_t>(telemetry_s * 1000));
  so.timeout = std::chrono::seconds(timeout_s);
  if (catchup->parsed()) {
    // The largest batches the protocol allows, one at a time per machine: 1,000 machines
    // x 1 window x ~115 KB stays under vend-cloud's 256 MiB ingest queue.
    so.fleet.drainer.batch_size = batch > 0 ? batch : 500;
    so.fleet.drainer.window = window > 0 ? window : 1;
    so.outage = !no_outage;
    so.pre_encode = !no_pre_encode;
  } else {
    // vend-edge's defaults.
    so.fleet.drainer.batch_size = batch > 0 ? batch : 200;
    so.fleet.drainer.window = window > 0 ? window : 4;
    so.duration = std::chrono::seconds(duration_s);
    so.warmup = std::chrono::seconds(warmup_s);
    so.settle = std::chrono::seconds(settle_s);
  }
  if (so.fleet.drainer.batch_size > vend::schemas::kMaxBatchEvents) {
    std::cerr << "--batch is at most " << vend::schemas::kMaxBatchEvents << "\n";
    return 2;
  }
  return catchup->parsed() ? RunCatchup(so) : RunSteady(so);
}
