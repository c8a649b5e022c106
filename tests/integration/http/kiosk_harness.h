// A real kiosk server for integration tests and API-level helpers to talk to it.
//
// KioskServer opens a SqliteKioskStore on a fresh temporary file, seeds the test
// catalog, and serves KioskApi through the cpprestsdk HttpServer on a free loopback
// port. KioskClient speaks HTTP to it over real sockets. KioskHttpTest is the fixture:
// one server per test suite (listeners are slow to start), so every test uses its own
// fresh customers and compares stock before and after rather than absolute counts.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "vend/http/http_server.h"
#include "http/kiosk_api.h"
#include "store/sqlite_kiosk_store.h"
#include "support/http_client.h"
#include "support/temp_dir.h"
#include "vend/metrics.h"

namespace vend::edge::http_test {

using test_support::HttpReply;
using test_support::HttpRequestSpec;

// The catalog every KioskServer starts with.
inline constexpr int64_t kCola = 1;     // 150 cents, refundable, 10 in stock
inline constexpr int64_t kWater = 2;    // 100 cents, not refundable, 3 in stock
inline constexpr int64_t kGum = 3;      // 50 cents, 1 in stock
inline constexpr int64_t kSoldOut = 4;  // 100 cents, none in stock
inline constexpr int64_t kColaPrice = 150;
inline constexpr int64_t kWaterPrice = 100;
inline constexpr int64_t kGumPrice = 50;
inline constexpr int64_t kMaxDeposit = 100000;  // the default cap
inline constexpr size_t kMaxBody = 64 * 1024;   // the default body limit

// The static kiosk UI the server is given, and a file just outside it that no request
// may ever read.
inline constexpr char kIndexHtml[] = "<!doctype html><title>kiosk test index</title>\n";
inline constexpr char kImageSvg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n";
inline constexpr char kSecret[] = "TOP-SECRET: outside the static root\n";

class KioskServer {
 public:
  // Opens a store in a fresh temporary directory, seeds the catalog above and serves on
  // a free 127.0.0.1 port; an error names the step that failed. The directory holds
  // edge.db, kiosk/ (the static root: index.html, images/x.svg, .hidden), secret.txt
  // outside the root, and kiosk/images/escape.txt, a symlink to secret.txt.
  static Result<std::unique_ptr<KioskServer>> Start();
  // Stops the listener (waiting for in-flight requests) before the API and the store go.
  ~KioskServer();

  int port() const { return port_; }
  store::SqliteKioskStore& store() { return *store_; }
  const std::filesystem::path& dir() const { return dir_.path(); }

  // Adds a product with a fresh id (from 100 up) so a test can own its stock.
  Result<int64_t> AddProduct(const std::string& name, int64_t price, int64_t count,
                             bool refundable);

 private:
  KioskServer() = default;

  // Declared in the order they depend on each other, so they are destroyed in reverse.
  test_support::TempDir dir_;
  std::unique_ptr<store::SqliteKioskStore> store_;
  metrics::Registry metrics_;
  std::unique_ptr<http::KioskApi> api_;
  std::unique_ptr<vend::http::HttpServer> server_;
  int port_ = 0;
  std::atomic<int64_t> next_product_id_{100};
};

struct Customer {
  int64_t id = 0;
  std::string user_name;
};

// "/api/v1/users/<id><suffix>?user_name=<percent-encoded name>"
std::string UserTarget(const Customer& c, const std::string& suffix = "");

// API-level calls. Helpers that return values (not replies) report a failed call with
// ADD_FAILURE, so a test stays linear; they may be called from any thread.
class KioskClient {
 public:
  explicit KioskClient(int port) : http_(port) {}

  const test_support::HttpClient& http() const { return http_; }
  HttpReply Get(const std::string& target) const { return http_.Get(target); }
  HttpReply PostJson(const std::string& target, const nlohmann::json& body) const {
    return http_.PostJson(target, body.dump());
  }
  HttpReply PostForm(const std::string& target, const std::string& form) const {
    return http_.PostForm(target, form);
  }

  // A user name no other call in this process has returned.
  static std::string UniqueName(const std::string& prefix = "customer");

  HttpReply CreateUser(const std::string& user_name) const;
  // A fresh customer holding `balance` cents (deposited in steps of at most the cap).
  Customer NewCustomer(int64_t balance = 0) const;
  HttpReply Deposit(const Customer& c, int64_t amount) const;
  // `extra` is merged into the JSON body {"user_name": ...}.
  HttpReply Buy(const Customer& c, int64_t product_id,
                const nlohmann::json& extra = nlohmann::json::object()) const;
  HttpReply Refund(const Customer& c, int64_t product_id,
                   const nlohmann::json& extra = nlohmann::json::object()) const;

  int64_t Balance(const Customer& c) const;
  int64_t Stock(int64_t product_id) const;
  nlohmann::json Orders(const Customer& c) const;

 private:
  test_support::HttpClient http_;
};

// The body as JSON; a discarded value when it is not JSON.
nlohmann::json JsonOf(const HttpReply& reply);

// The reply is `status` with a JSON body {"error":{"code":code,"message":<non-empty>}}.
::testing::AssertionResult IsError(const HttpReply& reply, int status, const std::string& code);

// The value of one series in Prometheus text, e.g. "vend_edge_sales_total".
std::optional<double> MetricValue(const std::string& text, const std::string& series);

// Everything a kiosk request could change, seen through the API and the store.
struct Observed {
  std::string products;  // GET /api/v1/products: every product's stock
  std::string customer;  // GET /api/v1/users/<id>: the balance
  std::string orders;    // GET /api/v1/users/<id>/orders
  int64_t outbox_depth = 0;
  int64_t outbox_last_seq = 0;
  nlohmann::json healthz_outbox;  // /healthz's "outbox" object

  bool operator==(const Observed& o) const;
};
std::ostream& operator<<(std::ostream& os, const Observed& o);

class KioskHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  static KioskServer& server() { return *server_; }
  static store::SqliteKioskStore& store() { return server_->store(); }
  static const KioskClient& kiosk() { return *kiosk_; }
  Observed Observe(const Customer& c) const;

 private:
  static std::unique_ptr<KioskServer> server_;
  static std::unique_ptr<KioskClient> kiosk_;
  static std::string start_error_;
};

}  // namespace vend::edge::http_test
