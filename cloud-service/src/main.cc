// vend-cloud: the VendFleet cloud service and its provisioning CLI. Parses the command
// line and wires the concrete adapters (PostgreSQL, Paho, dynamic security, cpprestsdk)
// to the services; all behaviour lives in those modules.
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "app/dispatcher.h"
#include "app/ingestor.h"
#include "app/scheduler.h"
#include "app/worker_pool.h"
#include "cli/admin_cli.h"
#include "cli/fleet_cli.h"
#include "db/pg_accounts.h"
#include "db/pg_migrate.h"
#include "db/pg_pool.h"
#include "db/pg_store.h"
#include "http/admin_api.h"
#include "http/fleet_api.h"
#include "http/ops_api.h"
#include "mqtt/dynsec_provisioner.h"
#include "mqtt/paho_bus.h"
#include "vend/http/http_server.h"
#include "vend/http/static_files.h"
#include "vend/ids.h"
#include "vend/topics.h"

namespace {

using namespace vend;
using namespace vend::cloud;

struct Flags {
  std::string pg_url;
  std::string mqtt_url = "tcp://127.0.0.1:1883";
  std::string mqtt_user;
  std::string mqtt_password;
  std::string log_level = "info";
  // serve
  std::string listen = "127.0.0.1:8000";
  size_t workers = 4;
  int64_t resend_interval_s = 30;
  int64_t telemetry_retention_h = 168;
  size_t queue_capacity = 256;
  size_t http_threads = 4;
  // serve: admin portal and API
  std::string portal_dir;
  bool secure_cookies = false;
  int64_t session_ttl_h = 12;
  int64_t login_max_failures = 5;
  int64_t login_max_address_failures = 30;
  int64_t login_window_s = 900;
  int64_t offline_after_s = 300;
  double temp_min_c = 0.0;
  double temp_max_c = 8.0;
};

std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

// Runs `fn` every `period` on a thread of its own until destroyed.
class Periodic {
 public:
  Periodic(std::chrono::seconds period, std::function<void()> fn)
      : thread_([this, period, fn = std::move(fn)] {
          std::unique_lock<std::mutex> lock(mu_);
          while (!cv_.wait_for(lock, period, [this] { return stop_; })) {
            lock.unlock();
            fn();
            lock.lock();
          }
        }) {}
  ~Periodic() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

int Failed(const Status& s) {
  std::cerr << "error: " << s.message() << " (" << s.reason() << ")\n";
  return cli::ExitCodeFor(s) == cli::kExitUsage ? cli::kExitUsage : cli::kExitFailure;
}

Status RequirePg(const Flags& f) {
  if (f.pg_url.empty()) return InvalidArgument("--pg URL (or VEND_PG_URL) is required");
  return Status::Ok();
}

Result<db::MigrationReport> MigrateNow(const Flags& f) {
  if (auto s = RequirePg(f); !s.ok()) return s;
  return db::Migrate(f.pg_url, sql::Migrations());
}

// Runs `fn(store)` against a migrated database, for the short-lived CLI commands.
template <typename Fn>
int WithStore(const Flags& f, Fn&& fn) {
  auto m = MigrateNow(f);
  if (!m.ok()) return Failed(m.status());
  db::PgPool pool({f.pg_url, 1, std::chrono::milliseconds(10000), db::PgStore::Prepare});
  db::PgStore store(pool);
  return fn(store);
}

int Serve(const Flags& f) {
  if (auto s = RequirePg(f); !s.ok()) return Failed(s);
  if (f.mqtt_user.empty()) {
    return Failed(InvalidArgument("--mqtt-user (or VEND_MQTT_CLOUD_USER) is required"));
  }
  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  if (f.temp_min_c >= f.temp_max_c) {
    return Failed(InvalidArgument("--temp-min must be below --temp-max"));
  }
  auto migrated = MigrateNow(f);
  if (!migrated.ok()) return Failed(migrated.status());

  metrics::Registry registry;
  db::PgPool pool({f.pg_url, f.workers + f.http_threads + 3, std::chrono::milliseconds(10000),
                   db::PgStore::Prepare});
  db::PgStore store(pool);
  db::PgAccounts accounts(pool);
  if (auto s = cli::BootstrapAdminFromEnv(accounts, Env("VEND_ADMIN_USERNAME"),
                                          Env("VEND_ADMIN_PASSWORD"), Env("VEND_ADMIN_EMAIL"));
      !s.ok()) {
    return Failed(s);
  }
  db::PgCommandSignal signal(f.pg_url);

  // Built in dependency order; the callbacks below only run after bus.Start().
  app::Ingestor* ingestor = nullptr;
  app::Scheduler* scheduler = nullptr;
  app::WorkerPool workers(f.workers, f.queue_capacity, size_t{256} << 20,
                          [&ingestor](const mqtt::InboundMessage& m) { ingestor->Handle(m); });
  mqtt::BusOptions bus_options{
      f.mqtt_url,
      f.mqtt_user,
      f.mqtt_password,
      "vend-cloud-" + NewUuid().substr(24),
      {// Events and telemetry are shared: each message goes to one instance.
       "$share/vend-cloud/" + schemas::AllMachinesFilter(schemas::TopicKind::kEvents),
       "$share/vend-cloud/" + schemas::AllMachinesFilter(schemas::TopicKind::kTelemetry),
       // Presence is not: retained messages are not delivered to shared subscriptions,
       // and every instance may dispatch a machine's commands when it comes online.
       schemas::AllMachinesFilter(schemas::TopicKind::kStatus)}};
  mqtt::PahoBus bus(
      bus_options,
      [&](mqtt::InboundMessage&& m) {
        auto topic = schemas::ParseTopic(m.topic);
        const bool presence = topic && topic->kind == schemas::TopicKind::kStatus;
        std::string key = topic ? topic->machine : m.topic;
        std::string name = m.topic;
        if (!workers.Offer(std::move(m), key, presence)) ingestor->CountDropped(name);
      },
      [&scheduler] {
        if (scheduler != nullptr) scheduler->OnConnected();
      });
  app::Dispatcher dispatcher(store, bus, registry,
                             {std::chrono::seconds(f.resend_interval_s), std::chrono::seconds(2)});
  app::Ingestor ingest(store, store, bus, dispatcher, registry);
  app::Scheduler sched(dispatcher, signal, store,
                       {std::chrono::hours(f.telemetry_retention_h), std::chrono::seconds(60)});
  ingestor = &ingest;
  scheduler = &sched;
  registry.AddGauge("vend_cloud_ingest_queue_depth", "Messages waiting for a worker",
                    [&workers] { return static_cast<double>(workers.Queued()); });

  cloud::http::OpsApi ops(store, bus, registry, VEND_VERSION);
  cloud::http::FleetApi fleet(
      pool, {std::chrono::seconds(f.offline_after_s), f.temp_min_c, f.temp_max_c});
  cloud::http::AdminApiOptions admin_options;
  admin_options.secure_cookies = f.secure_cookies;
  admin_options.session_ttl = std::chrono::hours(f.session_ttl_h);
  admin_options.login_limits = {f.login_max_failures, f.login_max_address_failures,
                                f.login_window_s};
  cloud::http::AdminApi admin(
      accounts, registry, admin_options,
      [&fleet](const cloud::http::AdminRequest& r) { return fleet.Handle(r); });
  const vend::http::StaticFilesOptions portal{f.portal_dir, /*spa_fallback=*/true};
  // Images are at most 1 MiB and JSON bodies 64 KiB (checked by the API); 2 MiB bounds
  // what a request may make the server hold.
  constexpr size_t kMaxBody = 2 * 1024 * 1024;
  vend::http::HttpServer::SetThreadPoolSize(f.http_threads);
  auto route = [&](const vend::http::HttpRequest& r) {
    if (r.path == "/healthz" || r.path == "/metrics") return ops.Handle(r);
    if (r.path == "/api" || r.path.rfind("/api/", 0) == 0) return admin.Handle(r);
    if (r.method != "GET" && r.method != "HEAD") {
      auto resp = vend::http::ErrorResponse(
          Status(Code::kInvalidArgument, "method_not_allowed", "only GET is served here"),
          r.request_id);
      resp.status = 405;
      resp.headers.emplace_back("Allow", "GET, HEAD");
      return resp;
    }
    if (portal.root.empty()) {
      return vend::http::ErrorResponse(NotFound("no portal is served (see --portal-dir)"),
                                       r.request_id);
    }
    return vend::http::ServeStatic(r, portal);
  };
  vend::http::HttpServer server(f.listen, kMaxBody, [&](const vend::http::HttpRequest& r) {
    auto resp = route(r);
    cloud::http::AddBrowserSecurityHeaders(resp, r.path == "/api" || r.path.rfind("/api/", 0) == 0);
    return resp;
  });
  if (auto s = server.Start(); !s.ok()) return Failed(s);

  workers.Start();
  sched.Start();
  if (auto s = bus.Start(std::chrono::seconds(15)); !s.ok()) {
    server.Stop();
    sched.Stop();
    workers.Stop();
    return Failed(s);
  }
  // Expired sessions and login attempts past the window are only garbage.
  const auto attempts_kept = std::chrono::seconds(std::max<int64_t>(f.login_window_s, 86400));
  Periodic prune(std::chrono::seconds(300), [&accounts, attempts_kept] {
    auto n = accounts.Prune(attempts_kept);
    if (!n.ok()) {
      spdlog::warn("prune sessions failed: {}", n.status().ToString());
    } else if (*n > 0) {
      spdlog::info("pruned expired sessions and old login attempts rows={}", *n);
    }
  });
  spdlog::info(
      "started listen=http://{} mqtt={} client_id={} workers={} schema_version={} portal_dir={} "
      "secure_cookies={}",
      f.listen, f.mqtt_url, bus_options.client_id, f.workers, migrated->to_version,
      f.portal_dir.empty() ? "(none)" : f.portal_dir, f.secure_cookies);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("stopping signal={}", sig);
  server.Stop();
  bus.Stop();
  workers.Stop();
  sched.Stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  Flags f;
  CLI::App app{"vend-cloud " VEND_VERSION
               " - the VendFleet cloud service.\n"
               "Ingests every machine's events from MQTT into PostgreSQL exactly once, tracks\n"
               "presence and telemetry, dispatches commands, provisions the fleet, and serves\n"
               "the admin REST API (/api/v1) and the admin portal."};
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", VEND_VERSION);
  app.add_option("--pg", f.pg_url, "PostgreSQL URL, e.g. postgresql://user@127.0.0.1:5432/vend")
      ->envname("VEND_PG_URL");
  app.add_option("--mqtt", f.mqtt_url, "Broker URL (tcp://HOST:PORT)")
      ->envname("VEND_MQTT_URL")
      ->capture_default_str();
  app.add_option("--mqtt-user", f.mqtt_user, "Broker user of the cloud")
      ->envname("VEND_MQTT_CLOUD_USER");
  app.add_option("--mqtt-password", f.mqtt_password, "Broker password of the cloud")
      ->envname("VEND_MQTT_CLOUD_PASSWORD");
  app.add_option("--log-level", f.log_level, "trace, debug, info, warn, error")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));

  auto* migrate = app.add_subcommand("migrate", "Apply the database migrations and exit");

  auto* serve = app.add_subcommand("serve", "Run the service (MQTT ingest, dispatch, HTTP)");
  serve
      ->add_option("--listen", f.listen,
                   "HOST:PORT of /healthz, /metrics, the admin API (/api/v1) and the portal")
      ->capture_default_str();
  serve->add_option("--workers", f.workers, "Ingest worker threads")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{64}));
  serve
      ->add_option("--resend-interval", f.resend_interval_s,
                   "Seconds before an unanswered command is sent again")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{86400}));
  serve
      ->add_option("--telemetry-retention", f.telemetry_retention_h,
                   "Hours of telemetry history to keep")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{24 * 3650}));
  serve->add_option("--queue", f.queue_capacity, "Messages queued per worker before dropping")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100000}));
  serve->add_option("--http-threads", f.http_threads, "HTTP worker threads")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{64}));
  serve
      ->add_option("--portal-dir", f.portal_dir,
                   "Directory of the admin portal's files (e.g. REPO/admin-portal); empty: no "
                   "portal, only the API")
      ->envname("VEND_PORTAL_DIR");
  serve
      ->add_flag("--secure-cookies", f.secure_cookies,
                 "Mark the session cookie Secure (when clients reach the service over TLS)")
      ->envname("VEND_SECURE_COOKIES");
  serve->add_option("--session-ttl", f.session_ttl_h, "Hours a portal session lasts (absolute)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{24 * 365}));
  serve
      ->add_option("--login-max-failures", f.login_max_failures,
                   "Failed logins per user name within the window before 429")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{100000}));
  serve
      ->add_option("--login-max-address-failures", f.login_max_address_failures,
                   "Failed logins per client address within the window before 429")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  serve->add_option("--login-window", f.login_window_s, "Seconds of the login rate-limit window")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{86400}));
  serve
      ->add_option("--offline-after", f.offline_after_s,
                   "Seconds without news before a machine counts as offline (alerts)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{86400 * 30}));
  serve->add_option("--temp-min", f.temp_min_c, "Lowest acceptable temperature in C (alerts)")
      ->capture_default_str()
      ->check(CLI::Range(-100.0, 200.0));
  serve->add_option("--temp-max", f.temp_max_c, "Highest acceptable temperature in C (alerts)")
      ->capture_default_str()
      ->check(CLI::Range(-100.0, 200.0));

  auto* machine = app.add_subcommand("machine", "Provision and list machines");
  machine->require_subcommand(1);
  cli::MachineAddArgs add_args;
  auto* machine_add = machine->add_subcommand(
      "add",
      "Create a machine and its own broker credential (dynamic-security plugin; --mqtt-user "
      "must be allowed $CONTROL/dynamic-security), queue the catalog for it, and print what "
      "the edge needs");
  machine_add->add_option("ID", add_args.id, "Machine id ([A-Za-z0-9_-]{1,64})")->required();
  machine_add->add_option("--edge-mqtt-url", add_args.edge_mqtt_url,
                          "Broker URL printed for the edge (default: --mqtt)");
  machine_add->add_option("--format", add_args.format, "text, or env for shell-sourceable lines")
      ->capture_default_str();
  std::string list_format = "text";
  auto* machine_list = machine->add_subcommand("list", "List machines and their sync state");
  machine_list->add_option("--format", list_format, "text or json")->capture_default_str();

  auto* admin = app.add_subcommand("admin", "Admin portal accounts");
  admin->require_subcommand(1);
  cli::AdminCreateArgs admin_args;
  auto* admin_create = admin->add_subcommand(
      "create",
      "Create an approved portal administrator (role 300). The password is read from\n"
      "--password-file or VEND_ADMIN_PASSWORD, never from the command line, and never printed.");
  admin_create->add_option("USERNAME", admin_args.username, "User name ([A-Za-z0-9_.-]{3,32})")
      ->required();
  admin_create->add_option("--email", admin_args.email, "E-mail address")->required();
  admin_create->add_option("--password-file", admin_args.password_file,
                           "File holding the password (10..128 bytes; one trailing newline is "
                           "ignored)");

  auto* product = app.add_subcommand("product", "Change the catalog (fans out to every machine)");
  product->require_subcommand(1);
  cloud::core::CatalogProduct new_product;
  auto* product_add = product->add_subcommand("add", "Add a product to the catalog");
  product_add->add_option("ID", new_product.id, "Product id (> 0)")->required();
  product_add->add_option("NAME", new_product.name, "Name (1..200 bytes)")->required();
  product_add->add_option("PRICE", new_product.price, "Price in cents")->required();
  product_add->add_option("--image", new_product.image, "Image file name");
  product_add->add_flag("--refundable", new_product.is_refundable, "Customers may refund it");
  int64_t set_id = 0;
  cloud::core::ProductPatch patch;
  std::string patch_name, patch_image, patch_refundable;
  int64_t patch_price = 0;
  auto* product_set = product->add_subcommand("set", "Change fields of a product");
  product_set->add_option("ID", set_id, "Product id")->required();
  auto* o_name = product_set->add_option("--name", patch_name, "New name");
  auto* o_price = product_set->add_option("--price", patch_price, "New price in cents");
  auto* o_image = product_set->add_option("--image", patch_image, "New image file name");
  auto* o_refundable = product_set->add_option("--refundable", patch_refundable, "true or false");
  int64_t remove_id = 0;
  auto* product_remove = product->add_subcommand("remove", "Remove a product from the catalog");
  product_remove->add_option("ID", remove_id, "Product id")->required();

  std::string target_machine;
  int64_t target_product = 0, amount = 0;
  auto* stock = app.add_subcommand("stock", "Restock a machine (the edge applies it)");
  stock->require_subcommand(1);
  auto* stock_set = stock->add_subcommand("set", "The slot now holds exactly N items");
  auto* stock_add = stock->add_subcommand("add", "Add N items (negative to take out)");
  for (auto* sub : {stock_set, stock_add}) {
    sub->add_option("MACHINE", target_machine, "Machine id")->required();
    sub->add_option("PRODUCT", target_product, "Product id")->required();
    sub->add_option("N", amount, "Count")->required();
  }
  auto* price = app.add_subcommand("price", "Per-machine prices");
  price->require_subcommand(1);
  auto* price_set = price->add_subcommand("set", "Set a product's price on one machine");
  price_set->add_option("MACHINE", target_machine, "Machine id")->required();
  price_set->add_option("PRODUCT", target_product, "Product id")->required();
  price_set->add_option("CENTS", amount, "Price in cents")->required();

  for (auto* sub : {migrate, serve, machine_add, machine_list, admin_create, product_add,
                    product_set, product_remove, stock_set, stock_add, price_set}) {
    sub->footer(
        "Global options go before or after the subcommand: --pg, --mqtt, --mqtt-user,\n"
        "--mqtt-password (or VEND_PG_URL, VEND_MQTT_URL, VEND_MQTT_CLOUD_USER,\n"
        "VEND_MQTT_CLOUD_PASSWORD), --log-level. Exit codes: 0 done, 1 database or broker\n"
        "failure, 2 invalid argument (nothing changed).");
  }

  serve->footer(serve->get_footer() +
                "\n\nThe first portal administrator is created at start from VEND_ADMIN_USERNAME,\n"
                "VEND_ADMIN_PASSWORD and VEND_ADMIN_EMAIL when no admin account exists yet.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : cli::kExitUsage;
  }

  // Logs go to stderr so that a command's output on stdout can be parsed or sourced.
  spdlog::set_default_logger(spdlog::stderr_color_mt("vend-cloud"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ vend-cloud %v", spdlog::pattern_time_type::utc);
  spdlog::set_level(spdlog::level::from_str(serve->parsed() ? f.log_level : "warn"));
  if (app.get_option("--log-level")->count() > 0) {
    spdlog::set_level(spdlog::level::from_str(f.log_level));
  }

  auto& out = std::cout;
  auto& err = std::cerr;
  if (migrate->parsed()) {
    auto r = MigrateNow(f);
    if (!r.ok()) return Failed(r.status());
    out << "schema version " << r->to_version << " (applied " << r->applied.size()
        << " migration(s))\n";
    return 0;
  }
  if (serve->parsed()) return Serve(f);
  if (machine_add->parsed()) {
    if (add_args.edge_mqtt_url.empty()) add_args.edge_mqtt_url = f.mqtt_url;
    if (auto s = cloud::core::ValidateMachineId(add_args.id); !s.ok()) return cli::Fail(s, err);
    if (f.mqtt_user.empty()) {
      return cli::Fail(InvalidArgument("--mqtt-user (or VEND_MQTT_CLOUD_USER) is required"), err);
    }
    return WithStore(f, [&](db::PgStore& store) {
      mqtt::DynsecProvisioner creds({f.mqtt_url, f.mqtt_user, f.mqtt_password});
      return cli::MachineAdd(store, creds, add_args, out, err);
    });
  }
  if (admin_create->parsed()) {
    auto m = MigrateNow(f);
    if (!m.ok()) return Failed(m.status());
    db::PgPool pool({f.pg_url, 1, std::chrono::milliseconds(10000), db::PgStore::Prepare});
    db::PgAccounts accounts(pool);
    return cli::AdminCreate(accounts, admin_args, Env("VEND_ADMIN_PASSWORD"), out, err);
  }
  if (machine_list->parsed()) {
    return WithStore(f, [&](db::PgStore& s) { return cli::MachineList(s, list_format, out, err); });
  }
  if (product_add->parsed()) {
    if (auto s = cloud::core::ValidateProduct(new_product); !s.ok()) return cli::Fail(s, err);
    return WithStore(f, [&](db::PgStore& s) { return cli::ProductAdd(s, new_product, out, err); });
  }
  if (product_set->parsed()) {
    if (o_name->count() > 0) patch.name = patch_name;
    if (o_price->count() > 0) patch.price = patch_price;
    if (o_image->count() > 0) patch.image = patch_image;
    std::optional<std::string> refundable;
    if (o_refundable->count() > 0) refundable = patch_refundable;
    if (patch.empty() && !refundable) {
      return cli::Fail(
          InvalidArgument("give at least one of --name, --price, --image, --refundable"), err);
    }
    return WithStore(
        f, [&](db::PgStore& s) { return cli::ProductSet(s, set_id, patch, refundable, out, err); });
  }
  if (product_remove->parsed()) {
    return WithStore(f, [&](db::PgStore& s) { return cli::ProductRemove(s, remove_id, out, err); });
  }
  if (stock_set->parsed()) {
    if (auto s = cloud::core::ValidateStockCount(amount); !s.ok()) return cli::Fail(s, err);
    return WithStore(f, [&](db::PgStore& s) {
      return cli::StockSet(s, target_machine, target_product, amount, out, err);
    });
  }
  if (stock_add->parsed()) {
    if (auto s = cloud::core::ValidateStockDelta(amount); !s.ok()) return cli::Fail(s, err);
    return WithStore(f, [&](db::PgStore& s) {
      return cli::StockAdd(s, target_machine, target_product, amount, out, err);
    });
  }
  if (price_set->parsed()) {
    if (auto s = cloud::core::ValidatePrice(amount); !s.ok()) return cli::Fail(s, err);
    return WithStore(f, [&](db::PgStore& s) {
      return cli::PriceSet(s, target_machine, target_product, amount, out, err);
    });
  }
  std::cerr << app.help();
  return cli::kExitUsage;
}
