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
#include "vend/http/http_server.h"
#include "http/kiosk_api.h"
#include "store/sqlite_kiosk_store.h"

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

  metrics::Registry registry;
  edge::http::KioskApi api(**store, registry,
                           {machine_id, VEND_VERSION, static_dir, max_deposit, max_body});
  vend::http::HttpServer::SetThreadPoolSize(threads);
  vend::http::HttpServer server(listen, max_body,
                                [&api](const edge::http::HttpRequest& r) { return api.Handle(r); });
  if (auto s = server.Start(); !s.ok()) return Fail(s);
  spdlog::info("started machine_id={} listen=http://{} db={} static_dir={}", machine_id, listen,
               db_path, static_dir);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("stopping signal={}", sig);
  server.Stop();
  spdlog::info("stopped");
  return 0;
}
