#include "kiosk_harness.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>
#include <vector>

#include "support/free_port.h"

namespace vend::edge::http_test {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kStartAttempts = 5;

std::vector<core::Product> TestCatalog() {
  auto product = [](int64_t id, const char* name, int64_t price, int64_t count, const char* image,
                    bool refundable) {
    return core::Product{id, name, Money::FromCents(price), count, image, refundable};
  };
  return {product(kCola, "Cola", kColaPrice, 10, "cola.svg", true),
          product(kWater, "Water", kWaterPrice, 3, "water.svg", false),
          product(kGum, "Gum", kGumPrice, 1, "gum.svg", false),
          product(kSoldOut, "Sold-out", 100, 0, "", false)};
}

}  // namespace

Result<std::unique_ptr<KioskServer>> KioskServer::Start() {
  // One info line per request would bury a failure's own output; warnings still show.
  spdlog::set_level(spdlog::level::warn);
  std::unique_ptr<KioskServer> s(new KioskServer());
  s->dir_.WriteFile("kiosk/index.html", kIndexHtml);
  s->dir_.WriteFile("kiosk/images/x.svg", kImageSvg);
  s->dir_.WriteFile("kiosk/.hidden", kSecret);
  const fs::path secret = s->dir_.WriteFile("secret.txt", kSecret);
  std::error_code ec;
  fs::create_symlink(secret, s->dir() / "kiosk" / "images" / "escape.txt", ec);
  if (ec) return Internal("cannot create the escape symlink: " + ec.message());

  auto store = store::SqliteKioskStore::Open((s->dir() / "edge.db").string(), "test-machine");
  if (!store.ok()) return store.status();
  s->store_ = std::move(store).value();
  if (auto st = s->store_->SeedCatalog(TestCatalog()); !st.ok()) return st;

  http::KioskApiOptions options;
  options.machine_id = "test-machine";
  options.version = "test";
  options.static_dir = (s->dir() / "kiosk").string();
  options.max_deposit = kMaxDeposit;
  options.max_body_bytes = kMaxBody;
  s->api_ = std::make_unique<http::KioskApi>(*s->store_, s->metrics_, options);

  // The free port may be taken between finding and binding it: try a few.
  Status last;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    const int port = test_support::FreeLoopbackPort();
    auto server = std::make_unique<vend::http::HttpServer>(
        "127.0.0.1:" + std::to_string(port), kMaxBody,
        [api = s->api_.get()](const http::HttpRequest& r) { return api->Handle(r); });
    last = server->Start();
    if (last.ok()) {
      s->server_ = std::move(server);
      s->port_ = port;
      return s;
    }
  }
  return last;
}

KioskServer::~KioskServer() {
  // The members then go in reverse order: API, metrics, store, directory.
  if (server_) server_->Stop();
}

Result<int64_t> KioskServer::AddProduct(const std::string& name, int64_t price, int64_t count,
                                        bool refundable) {
  const int64_t id = next_product_id_++;
  core::Product p{id, name, Money::FromCents(price), count, "", refundable};
  if (auto s = store_->SeedCatalog({p}); !s.ok()) return s;
  return id;
}

std::string UserTarget(const Customer& c, const std::string& suffix) {
  return "/api/v1/users/" + std::to_string(c.id) + suffix +
         "?user_name=" + test_support::UrlEncode(c.user_name);
}

std::string KioskClient::UniqueName(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "-" + std::to_string(++counter);
}

HttpReply KioskClient::CreateUser(const std::string& user_name) const {
  return PostJson("/api/v1/users", json{{"user_name", user_name}});
}

Customer KioskClient::NewCustomer(int64_t balance) const {
  Customer c;
  c.user_name = UniqueName();
  const HttpReply r = CreateUser(c.user_name);
  if (r.status != 201) {
    ADD_FAILURE() << "creating " << c.user_name << ": " << r;
    return c;
  }
  c.id = JsonOf(r).value("id", int64_t{0});
  while (balance > 0) {
    const int64_t step = std::min(balance, kMaxDeposit);
    const HttpReply d = Deposit(c, step);
    if (d.status != 200) {
      ADD_FAILURE() << "funding " << c.user_name << ": " << d;
      break;
    }
    balance -= step;
  }
  return c;
}

HttpReply KioskClient::Deposit(const Customer& c, int64_t amount) const {
  return PostJson("/api/v1/users/" + std::to_string(c.id) + "/add_balance",
                  json{{"user_name", c.user_name}, {"amount", amount}});
}

HttpReply KioskClient::Buy(const Customer& c, int64_t product_id, const json& extra) const {
  json body = extra;
  body["user_name"] = c.user_name;
  return PostJson("/api/v1/products/" + std::to_string(product_id) + "/buy", body);
}

HttpReply KioskClient::Refund(const Customer& c, int64_t product_id, const json& extra) const {
  json body = extra;
  body["user_name"] = c.user_name;
  return PostJson("/api/v1/products/" + std::to_string(product_id) + "/refund", body);
}

int64_t KioskClient::Balance(const Customer& c) const {
  const HttpReply r = Get(UserTarget(c));
  if (r.status != 200) {
    ADD_FAILURE() << "reading the balance of " << c.user_name << ": " << r;
    return -1;
  }
  return JsonOf(r).value("balance", int64_t{-1});
}

int64_t KioskClient::Stock(int64_t product_id) const {
  const HttpReply r = Get("/api/v1/products/" + std::to_string(product_id));
  if (r.status != 200) {
    ADD_FAILURE() << "reading product " << product_id << ": " << r;
    return -1;
  }
  return JsonOf(r).value("count", int64_t{-1});
}

json KioskClient::Orders(const Customer& c) const {
  const HttpReply r = Get(UserTarget(c, "/orders"));
  if (r.status != 200) {
    ADD_FAILURE() << "reading the orders of " << c.user_name << ": " << r;
    return json::array();
  }
  return JsonOf(r);
}

json JsonOf(const HttpReply& reply) {
  return json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
}

::testing::AssertionResult IsError(const HttpReply& reply, int status, const std::string& code) {
  if (reply.status != status) {
    return ::testing::AssertionFailure() << "expected HTTP " << status << ", got " << reply;
  }
  if (reply.Header("Content-Type").rfind("application/json", 0) != 0) {
    return ::testing::AssertionFailure()
           << "error content type is '" << reply.Header("Content-Type") << "': " << reply;
  }
  const json body = JsonOf(reply);
  const json* err = body.is_object() && body.contains("error") ? &body["error"] : nullptr;
  if (err == nullptr || !err->is_object() || !(*err)["code"].is_string() ||
      !(*err)["message"].is_string() || (*err)["message"].get<std::string>().empty()) {
    return ::testing::AssertionFailure()
           << "body is not {\"error\":{\"code\",\"message\"}}: " << reply;
  }
  if ((*err)["code"] != code) {
    return ::testing::AssertionFailure() << "expected error code '" << code << "', got " << reply;
  }
  return ::testing::AssertionSuccess();
}

std::optional<double> MetricValue(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

bool Observed::operator==(const Observed& o) const {
  return products == o.products && customer == o.customer && orders == o.orders &&
         outbox_depth == o.outbox_depth && outbox_last_seq == o.outbox_last_seq &&
         healthz_outbox == o.healthz_outbox;
}

std::ostream& operator<<(std::ostream& os, const Observed& o) {
  return os << "{products=" << o.products << " customer=" << o.customer << " orders=" << o.orders
            << " outbox depth=" << o.outbox_depth << " last_seq=" << o.outbox_last_seq
            << " healthz outbox=" << o.healthz_outbox << "}";
}

std::unique_ptr<KioskServer> KioskHttpTest::server_;
std::unique_ptr<KioskClient> KioskHttpTest::kiosk_;
std::string KioskHttpTest::start_error_;

void KioskHttpTest::SetUpTestSuite() {
  auto server = KioskServer::Start();
  if (!server.ok()) {
    start_error_ = server.status().ToString();
    return;
  }
  server_ = std::move(server).value();
  kiosk_ = std::make_unique<KioskClient>(server_->port());
}

void KioskHttpTest::TearDownTestSuite() {
  kiosk_.reset();
  server_.reset();
}

void KioskHttpTest::SetUp() {
  ASSERT_NE(server_, nullptr) << "the kiosk server did not start: " << start_error_;
}

Observed KioskHttpTest::Observe(const Customer& c) const {
  Observed o;
  o.products = kiosk().Get("/api/v1/products").body;
  o.customer = kiosk().Get(UserTarget(c)).body;
  o.orders = kiosk().Get(UserTarget(c, "/orders")).body;
  auto outbox = store().Outbox();
  EXPECT_TRUE(outbox.ok()) << outbox.status().ToString();
  if (outbox.ok()) {
    o.outbox_depth = outbox->depth;
    o.outbox_last_seq = outbox->last_seq;
  }
  const json health = JsonOf(kiosk().Get("/healthz"));
  o.healthz_outbox = health.is_object() ? health.value("outbox", json()) : json();
  return o;
}

}  // namespace vend::edge::http_test
