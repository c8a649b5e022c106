// vend-edge: the agent on one vending machine. Wires the SQLite store, the kiosk API
// and the HTTP server together; all behaviour lives in those modules.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/catalog.h"
#include "core/sensors.h"
#include "http/kiosk_api.h"
#include "store/sqlite_kiosk_store.h"
#include "sync/mqtt_sync.h"
#include "vend/http/http_server.h"
#include "vend/sync_messages.h"

namespace {

namespace fs = std::filesystem;
using namespace vend;

std::string DefaultStaticDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "share/vend-edge/kiosk";
  return (exe.parent_path().parent_path() / "share" / "vend-edge" / "kiosk").string();
}

Result<std::vector<edge::core::Product>> LoadCatalog(const std::string& path) {
  std::ifstream in(path);
  if (!in) return InvalidArgument("cannot read catalog file " + path);
  auto doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgument("catalog file " + path + " is not valid JSON");
  return edge::core::ParseCatalog(doc);
}

// The first line of the file, without its line ending.
Result<std::string> ReadPasswordFile(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return InvalidArgument("cannot read password file " + path);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return InvalidArgument("password file " + path + " is empty");
  return line;
}

int Fail(const Status& s) {
  spdlog::critical("{}", s.ToString());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vend-edge " VEND_VERSION
               " - the VendFleet agent of one vending machine.\n"
               "Serves the kiosk touch screen (REST API under /api/v1 and the web UI at /) from a\n"
               "local SQLite database and keeps selling with no network."};
  std::string machine_id, db_path, listen = "127.0.0.1:8080", catalog, static_dir,
                                   log_level = "info";
  int64_t max_deposit = 100000;
  size_t max_body = 64 * 1024;
  size_t threads = 8;
  app.add_option("--machine-id", machine_id, "This machine's id ([A-Za-z0-9_-]{1,64})")->required();
  app.add_option("--db", db_path, "SQLite database file (created if missing)")->required();
  app.add_option("--listen", listen, "HOST:PORT of the kiosk HTTP server")->capture_default_str();
  app.add_option("--catalog", catalog,
                 "JSON catalog seeding a standalone machine; products already in the "
                 "database are left as they are")
      ->check(CLI::ExistingFile);
  app.add_option("--static-dir", static_dir,
                 "Kiosk UI files (default: <prefix>/share/vend-edge/kiosk)");
  app.add_option("--max-deposit", max_deposit, "Largest add_balance amount in cents")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 53));
  app.add_option("--max-body", max_body, "Largest request body in bytes")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1024}, size_t{16} << 20));
  app.add_option("--http-threads", threads, "HTTP worker threads")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{256}));
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  std::string mqtt_url, mqtt_user, mqtt_password, mqtt_password_file;
  int64_t telemetry_interval_s = 60;
  size_t sync_batch = 200;
  size_t sync_window = 4;
  double ack_timeout_s = 10;
  auto* mqtt_opt = app.add_option("--mqtt", mqtt_url,
                                  "Broker URL, e.g. tcp://127.0.0.1:1883; without it the machine "
                                  "runs standalone (no sync)");
  app.add_option("--mqtt-user", mqtt_user, "Broker user name (default: the machine id)")
      ->needs(mqtt_opt);
  auto* password_opt =
      app.add_option("--mqtt-password", mqtt_password, "Broker password")->needs(mqtt_opt);
  app.add_option("--mqtt-password-file", mqtt_password_file,
                 "File whose first line is the broker password")
      ->check(CLI::ExistingFile)
      ->needs(mqtt_opt)
      ->excludes(password_opt);
  app.add_option("--telemetry-interval", telemetry_interval_s,
                 "Seconds between telemetry messages (a cloud config.set overrides it)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{86400}));
  app.add_option("--sync-batch", sync_batch, "Most events per published batch")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, schemas::kMaxBatchEvents));
  app.add_option("--sync-window", sync_window, "Most published batches awaiting the cloud's ack")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1000}));
  app.add_option("--ack-timeout", ack_timeout_s,
                 "Seconds to wait for an ack before re-sending from the last ack")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 3600.0));
  app.set_version_flag("--version", VEND_VERSION);
  CLI11_PARSE(app, argc, argv);

  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ vend-edge %v", spdlog::pattern_time_type::utc);
  spdlog::set_level(spdlog::level::from_str(log_level));
  if (static_dir.empty()) static_dir = DefaultStaticDir();

  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto store = edge::store::SqliteKioskStore::Open(db_path, machine_id);
  if (!store.ok()) return Fail(store.status());
  if (!catalog.empty()) {
    auto products = LoadCatalog(catalog);
    if (!products.ok()) return Fail(products.status());
    if (auto s = (*store)->SeedCatalog(*products); !s.ok()) return Fail(s);
  }

  // Settings the cloud stored with config.set win over the command-line defaults, so a
  // restart keeps what the admin chose.
  auto stored_config = (*store)->Config();
  if (!stored_config.ok()) return Fail(stored_config.status());
  if (auto it = stored_config->find("max_deposit"); it != stored_config->end()) {
    max_deposit = it->second;
  }
  if (auto it = stored_config->find("telemetry_interval_s"); it != stored_config->end()) {
    telemetry_interval_s = it->second;
  }

  metrics::Registry registry;
  edge::http::KioskApi api(**store, registry,
                           {machine_id, VEND_VERSION, static_dir, max_deposit, max_body});

  // Declared before the server so it is destroyed after it: /healthz reads it.
  edge::core::SimulatedSensors sensors(std::hash<std::string>{}(machine_id) ^
                                       static_cast<uint64_t>(getpid()));
  std::unique_ptr<edge::sync::MqttSync> sync;
  if (!mqtt_url.empty()) {
    if (!mqtt_password_file.empty()) {
      auto password = ReadPasswordFile(mqtt_password_file);
      if (!password.ok()) return Fail(password.status());
      mqtt_password = *password;
    }
    edge::sync::MqttSyncOptions options;
    options.server_uri = mqtt_url;
    options.machine_id = machine_id;
    options.username = mqtt_user.empty() ? machine_id : mqtt_user;
    options.password = mqtt_password;
    options.version = VEND_VERSION;
    options.drainer.batch_size = sync_batch;
    options.drainer.window = sync_window;
    options.drainer.ack_timeout =
        std::chrono::milliseconds(static_cast<int64_t>(ack_timeout_s * 1000));
    options.telemetry_interval = std::chrono::seconds(telemetry_interval_s);
    auto created = edge::sync::MqttSync::Create(**store, sensors, registry, std::move(options));
    if (!created.ok()) return Fail(created.status());
    sync = std::move(created).value();
    sync->SetConfigListener([&api](const schemas::ConfigSet& c) {
      if (c.key == "max_deposit") api.SetMaxDeposit(c.value);
    });
    api.SetHealthExtra([s = sync.get()](nlohmann::json& body) { s->FillHealth(body); });
    sync->Start();
  }
  vend::http::HttpServer::SetThreadPoolSize(threads);
  vend::http::HttpServer server(listen, max_body,
                                [&api](const edge::http::HttpRequest& r) { return api.Handle(r); });
  if (auto s = server.Start(); !s.ok()) return Fail(s);
  spdlog::info("started machine_id={} listen=http://{} db={} static_dir={} mqtt={}", machine_id,
               listen, db_path, static_dir, mqtt_url.empty() ? "standalone" : mqtt_url);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("stopping signal={}", sig);
  server.Stop();
  if (sync) sync->Stop();
  spdlog::info("stopped");
  return 0;
}
