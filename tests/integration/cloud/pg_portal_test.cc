// The admin API's fleet side against a real PostgreSQL (a fresh database per test):
// PgPortal's reads (orders filters and keyset paging, CSV, sales days, alerts from real
// rows, index use), PgStore's audited changes (commands and audit row in the change's
// transaction, nothing on failure) and FleetApi's routing, validation and responses.
#include "db/pg_portal.h"

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "cloud_harness.h"
#include "db/pg_migrate.h"
#include "db/pg_store.h"
#include "http/fleet_api.h"
#include "support/services.h"

namespace vend::cloud::testing {
namespace {

using nlohmann::json;
using test_support::TestDatabase;

const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + "rest-of-png";
const std::string kGif = "GIF89a-some-gif";

class PgPortalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = db::Migrate(db_.url(), sql::Migrations());
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    pool_ = std::make_unique<db::PgPool>(
        db::PgPool::Options{db_.url(), 3, std::chrono::milliseconds(10000), db::PgStore::Prepare});
    store_ = std::make_unique<db::PgStore>(*pool_);
    portal_ = std::make_unique<db::PgPortal>(*pool_);
    api_ = std::make_unique<http::FleetApi>(*pool_, http::FleetApiOptions{});
    admin_id_ = Count(
        "INSERT INTO accounts (username, email, password_hash, role, approved) "
        "VALUES ('ann', 'ann@x.io', 'x', 300, true) RETURNING id");
    actor_ = {admin_id_, "ann", "req-1", "127.0.0.1"};
  }

  void AddMachine(const std::string& id) {
    auto r = store_->AddMachine(id, id);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  void AddProduct(int64_t id, const std::string& name, int64_t price) {
    auto r = store_->AddProduct({id, name, price, "", true});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  int64_t Count(const std::string& sql) { return QueryInt(db_.url(), sql); }
  void Exec(const std::string& sql) {
    pqxx::connection c(db_.url());
    pqxx::work tx(c);
    tx.exec(sql);
    tx.commit();
  }
  std::string Text(const std::string& sql) {
    pqxx::connection c(db_.url());
    pqxx::work tx(c);
    auto r = tx.exec(sql);
    return r.empty() || r[0][0].is_null() ? "" : r[0][0].c_str();
  }
  // An order at `at` (an SQL timestamptz expression).
  void Order(const std::string& machine, int64_t id, int64_t product, const std::string& user,
             const std::string& at, const std::string& status = "paid", int64_t price = 150) {
    pqxx::connection c(db_.url());
    pqxx::work tx(c);
    tx.exec_params(
        "INSERT INTO orders (machine_id, order_id, uuid, customer_id, user_name, product_id, "
        "price, status, created_at, refunded_at, refund_amount) VALUES ($1, $2, "
        "gen_random_uuid(), 1, $3, $4, $5::bigint, $6::text, " +
            at + ", CASE WHEN $6::text = 'refunded' THEN (" + at +
            ")::timestamptz END, CASE WHEN $6::text = 'refunded' THEN $5::bigint END)",
        machine, id, user, product, price, status);
    tx.commit();
  }

  vend::http::HttpResponse Call(const std::string& method, const std::string& path,
                                const std::string& body = "",
                                const std::string& content_type = "application/json",
                                std::vector<std::pair<std::string, std::string>> headers = {}) {
    vend::http::HttpRequest http;
    http.method = method;
    const auto q = path.find('?');
    http.path = "/api/v1/" + path.substr(0, q);
    http.query = q == std::string::npos ? "" : path.substr(q + 1);
    http.body = body;
    http.content_type = body.empty() && method != "PUT" ? "" : content_type;
    http.request_id = "req-test";
    http.headers = std::move(headers);
    std::vector<std::string> segments;
    std::string rest = path.substr(0, q);
    for (size_t pos = 0;;) {
      const size_t slash = rest.find('/', pos);
      segments.push_back(rest.substr(pos, slash - pos));
      if (slash == std::string::npos) break;
      pos = slash + 1;
    }
    http::AdminRequest req{http, segments, {admin_id_, "ann", 300, true}};
    return api_->Handle(req);
  }
  json CallJson(const std::string& method, const std::string& path, int want,
                const std::string& body = "") {
    auto r = Call(method, path, body);
    EXPECT_EQ(r.status, want) << method << " " << path << ": " << r.body;
    return r.body.empty() ? json() : json::parse(r.body);
  }

  int64_t Commands() { return Count("SELECT count(*) FROM commands"); }
  int64_t Audits() { return Count("SELECT count(*) FROM audit_log"); }

  TestDatabase db_;
  std::unique_ptr<db::PgPool> pool_;
  std::unique_ptr<db::PgStore> store_;
  std::unique_ptr<db::PgPortal> portal_;
  std::unique_ptr<http::FleetApi> api_;
  int64_t admin_id_ = 0;
  core::Actor actor_;
};

// --- orders -----------------------------------------------------------------------

TEST_F(PgPortalTest, EachOrderFilterReturnsExactlyItsRows) {
  Order("M-1", 1, 1, "ann", "'2026-11-01T10:00:00Z'");
  Order("M-1", 2, 2, "bob", "'2026-11-02T10:00:00Z'", "refunded");
  Order("M-2", 1, 1, "bob", "'2026-11-03T10:00:00Z'");
  Order("M-2", 2, 2, "O'Brien; DROP TABLE orders;--", "'2026-11-04T10:00:00Z'");
  auto ids = [&](const std::string& query) {
    auto f = core::ParseOrderQuery(query, false);
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    auto page = portal_->Orders(*f);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<std::string> out;
    for (const auto& o : page->orders) out.push_back(o.machine + "/" + std::to_string(o.order_id));
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids(""), (V{"M-2/2", "M-2/1", "M-1/2", "M-1/1"}));
  EXPECT_EQ(ids("machine=M-1"), (V{"M-1/2", "M-1/1"}));
  EXPECT_EQ(ids("product=2"), (V{"M-2/2", "M-1/2"}));
  EXPECT_EQ(ids("customer=bob"), (V{"M-2/1", "M-1/2"}));
  EXPECT_EQ(ids("customer=O'Brien%3B%20DROP%20TABLE%20orders%3B--"), (V{"M-2/2"}));
  EXPECT_EQ(ids("status=refunded"), (V{"M-1/2"}));
  EXPECT_EQ(ids("status=paid&machine=M-2"), (V{"M-2/2", "M-2/1"}));
  EXPECT_EQ(ids("from=2026-11-02T10:00:00Z&to=2026-11-04T10:00:00Z"), (V{"M-2/1", "M-1/2"}));
  EXPECT_EQ(ids("machine=M-3"), V{});
}

TEST_F(PgPortalTest, PagingWalksEveryRowOnceAcrossEqualTimestamps) {
  // 3 machines x 45 orders over only 7 distinct instants: most rows tie on created_at.
  Exec(
      "INSERT INTO orders (machine_id, order_id, uuid, customer_id, user_name, product_id, "
      "price, status, created_at) SELECT 'M-' || m, i, gen_random_uuid(), 1, 'u' || (i % 3), "
      "1 + i % 2, 100, 'paid', timestamptz '2026-11-01T00:00:00Z' + (i % 7) * interval "
      "'1.5 ms' FROM generate_series(1, 3) m, generate_series(1, 45) i");
  for (const std::string filter : {"", "machine=M-2&", "product=2&", "customer=u1&"}) {
    std::set<std::string> seen;
    std::vector<std::tuple<int64_t, std::string, int64_t>> keys;
    std::string cursor;
    int pages = 0;
    for (;;) {
      auto r = CallJson("GET", "orders?" + filter + "limit=7" + cursor, 200);
      for (const auto& o : r["orders"]) {
        EXPECT_TRUE(seen.insert(o["uuid"].get<std::string>()).second) << "duplicate " << o;
        keys.emplace_back(core::ParseIsoMicros(o["created_at"].get<std::string>()).value(),
                          o["machine"], o["order_id"]);
      }
      ++pages;
      ASSERT_LT(pages, 100);
      if (r["next_cursor"].is_null()) break;
      cursor = "&cursor=" + r["next_cursor"].get<std::string>();
    }
    std::string where = filter.empty() ? "" : " WHERE ";
    if (filter == "machine=M-2&") where += "machine_id = 'M-2'";
    if (filter == "product=2&") where += "product_id = 2";
    if (filter == "customer=u1&") where += "user_name = 'u1'";
    EXPECT_EQ(static_cast<int64_t>(seen.size()), Count("SELECT count(*) FROM orders" + where))
        << filter;
    EXPECT_TRUE(std::is_sorted(keys.rbegin(), keys.rend())) << filter;
  }
}

TEST_F(PgPortalTest, CsvEscapesCellsAndNeutralizesFormulas) {
  AddMachine("M-1");
  AddProduct(1, "Cola, \"big\"", 150);
  Order("M-1", 1, 1, "=HYPERLINK(\"http://x\")", "'2026-11-01T10:00:00Z'");
  Order("M-1", 2, 1, "plain", "'2026-11-02T10:00:00Z'", "refunded", 200);
  auto r = Call("GET", "orders.csv?machine=M-1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/csv; charset=utf-8");
  bool disposition = false;
  for (const auto& [k, v] : r.headers) {
    if (k == "Content-Disposition") {
      disposition = v.rfind("attachment; filename=\"orders-", 0) == 0;
    }
  }
  EXPECT_TRUE(disposition);
  const std::string header =
      "uuid,machine,order_id,created_at,customer_id,user_name,product_id,product_name,"
      "price_cents,status,refunded_at,refund_cents\r\n";
  ASSERT_EQ(r.body.substr(0, header.size()), header);
  EXPECT_NE(r.body.find(",M-1,2,2026-11-02T10:00:00.000Z,1,plain,1,\"Cola, \"\"big\"\"\",200,"
                        "refunded,2026-11-02T10:00:00.000Z,200\r\n"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(",\"'=HYPERLINK(\"\"http://x\"\")\","), std::string::npos) << r.body;
  EXPECT_EQ(Call("GET", "orders.csv?limit=5").status, 400);
}

TEST_F(PgPortalTest, OrderByUuidAndBadQueriesNameTheParameter) {
  Order("M-1", 1, 1, "ann", "'2026-11-01T10:00:00Z'");
  const std::string uuid = Text("SELECT uuid::text FROM orders");
  auto o = CallJson("GET", "orders/" + uuid, 200);
  EXPECT_EQ(o["order"]["machine"], "M-1");
  EXPECT_TRUE(o["order"]["refunded_at"].is_null());
  CallJson("GET", "orders/00000000-0000-0000-0000-000000000000", 404);
  CallJson("GET", "orders/not-a-uuid", 404);
  auto bad = CallJson("GET", "orders?limit=500", 400);
  EXPECT_NE(bad["error"]["message"].get<std::string>().find("limit"), std::string::npos);
  CallJson("GET", "orders?cursor=garbage", 400);
  CallJson("POST", "orders", 405);
}

TEST_F(PgPortalTest, EveryOrdersFilterUsesAnIndex) {
  Exec(
      "INSERT INTO orders (machine_id, order_id, uuid, customer_id, user_name, product_id, "
      "price, status, created_at, refunded_at, refund_amount) SELECT 'M-' || (i % 200), i, "
      "gen_random_uuid(), 1, 'user' || (i % 5000), 1 + i % 50, 100, "
      "CASE WHEN i % 100 = 0 THEN 'refunded' ELSE 'paid' END, "
      "timestamptz '2026-01-01T00:00:00Z' + i * interval '10 seconds', NULL, NULL "
      "FROM generate_series(1, 300000) i");
  Exec("ANALYZE orders");
  core::OrderCursor cursor{core::ParseIsoMicros("2026-01-20T00:00:00Z").value(), "M-7", 150000};
  std::vector<core::OrderFilter> filters(7);
  filters[1].machine = "M-7";
  filters[2].product = 7;
  filters[3].customer = "user42";
  filters[4].status = "refunded";
  filters[5].from = core::ParseIsoMicros("2026-01-10T00:00:00Z");
  filters[5].to = core::ParseIsoMicros("2026-01-11T00:00:00Z");
  filters[6].machine = "M-7";
  for (auto& f : filters) {
    for (bool with_cursor : {false, true}) {
      if (with_cursor) f.cursor = cursor;
      auto [sql, params] = db::PgPortal::OrdersQuery(f, with_cursor, 51);
      pqxx::connection c(db_.url());
      pqxx::work tx(c);
      std::string plan;
      for (const auto& r :
           tx.exec_params("EXPLAIN " + sql, pqxx::prepare::make_dynamic_params(params))) {
        plan += std::string(r[0].c_str()) + "\n";
      }
      EXPECT_EQ(plan.find("Seq Scan on orders"), std::string::npos) << sql << "\n" << plan;
      EXPECT_NE(plan.find("Index"), std::string::npos) << plan;
      // Unfiltered pages come in index order: at most an incremental sort of equal
      // created_at runs, never a sort of the whole table (selective filters may sort
      // their few matching rows).
      const bool full_sort =
          plan.rfind("Sort", 0) == 0 || plan.find("->  Sort") != std::string::npos;
      if (&f == &filters[0]) {
        EXPECT_FALSE(full_sort) << sql << "\n" << plan;
      }
    }
  }
}

// --- machines ---------------------------------------------------------------------

TEST_F(PgPortalTest, SalesHaveEveryDayOldestFirst) {
  AddMachine("M-1");
  Order("M-1", 1, 1, "ann", "now()", "paid", 150);
  Order("M-1", 2, 1, "ann", "now()", "refunded", 100);
  Order("M-1", 3, 1, "ann", "now() - interval '3 days'", "paid", 250);
  Order("M-2", 1, 1, "ann", "now()", "paid", 999);
  auto r = CallJson("GET", "machines/M-1/sales?days=7", 200);
  const auto& days = r["days"];
  ASSERT_EQ(days.size(), 7u);
  for (size_t i = 1; i < days.size(); ++i) EXPECT_LT(days[i - 1]["day"], days[i]["day"]);
  EXPECT_EQ(days[6]["day"], Text("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')"));
  EXPECT_EQ(days[6]["orders"], 2);
  EXPECT_EQ(days[6]["cents"], 150);
  EXPECT_EQ(days[6]["refunds"], 1);
  EXPECT_EQ(days[0]["orders"], 0);
  EXPECT_EQ(days[0]["cents"], 0);
  // The order 3 days ago lands on day index 3 unless it crossed midnight UTC.
  int64_t older = 0;
  for (const auto& d : days) older += d["cents"].get<int64_t>();
  EXPECT_EQ(older, 400);
  EXPECT_EQ(CallJson("GET", "machines/M-1/sales", 200)["days"].size(), 14u);
  CallJson("GET", "machines/M-1/sales?days=91", 400);
  CallJson("GET", "machines/M-9/sales", 404);
  CallJson("GET", "machines/bad%20id/sales", 404);
}

TEST_F(PgPortalTest, MachineDetailListsEveryCatalogProductWithEffectivePrice) {
  AddMachine("M-1");
  AddProduct(1, "Cola", 150);
  AddProduct(2, "Chips", 200);
  AddProduct(3, "Gone", 100);
  ASSERT_TRUE(store_->RemoveProduct(3).ok());
  ASSERT_TRUE(store_->SetPrice("M-1", 2, 120).ok());
  Exec("INSERT INTO stock VALUES ('M-1', 1, 2, now())");
  auto r = CallJson("GET", "machines/M-1", 200);
  ASSERT_EQ(r["stock"].size(), 2u);
  EXPECT_EQ(r["stock"][0]["count"], 2);
  EXPECT_EQ(r["stock"][0]["low"], true);
  EXPECT_TRUE(r["stock"][1]["count"].is_null());
  EXPECT_EQ(r["stock"][1]["price"], 120);
  EXPECT_EQ(r["stock"][1]["catalog_price"], 200);
  EXPECT_EQ(r["stock"][1]["price_override"], 120);
  EXPECT_EQ(r["machine"]["id"], "M-1");
  EXPECT_EQ(r["machine"]["pending_commands"].get<size_t>(), r["pending_commands"].size());
  EXPECT_GE(r["machine"]["alerts"], 2);  // offline (never seen) and low stock of Cola
  auto list = CallJson("GET", "machines", 200);
  ASSERT_EQ(list["machines"].size(), 1u);
  EXPECT_EQ(list["machines"][0]["today_orders"], 0);
}

TEST_F(PgPortalTest, TelemetryIsThinnedToAtMost2000Points) {
  AddMachine("M-1");
  Exec(
      "INSERT INTO telemetry (machine_id, at, temperature_c, door_open, uptime_s, outbox_depth, "
      "stock, version) SELECT 'M-1', now() - i * interval '10 seconds', 4.5, false, i, 0, "
      "'{}', 'v' FROM generate_series(0, 4999) i");
  auto r = CallJson("GET", "machines/M-1/telemetry", 200);
  EXPECT_LE(r["points"].size(), 2000u);
  EXPECT_GE(r["points"].size(), 1600u);
  EXPECT_LT(r["points"].front()["at"], r["points"].back()["at"]);
  auto few = CallJson(
      "GET", "machines/M-1/telemetry?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z", 200);
  EXPECT_TRUE(few["points"].empty());
  CallJson("GET", "machines/M-1/telemetry?from=yesterday", 400);
}

// --- audited changes --------------------------------------------------------------

TEST_F(PgPortalTest, CliChangesAreAuditedAsTheCli) {
  AddMachine("M-1");
  AddProduct(1, "Cola", 150);
  ASSERT_TRUE(store_->SetPrice("M-1", 1, 120).ok());
  ASSERT_TRUE(store_->AddStock("M-1", 1, 5).ok());
  EXPECT_EQ(Text("SELECT string_agg(action || ' ' || actor_username || ' ' || "
                 "coalesce(actor_id::text, '-'), ', ' ORDER BY id) FROM audit_log"),
            "product.create cli -, price.set cli -, stock.add cli -");
}

TEST_F(PgPortalTest, StockChangeQueuesItsCommandWithAnAuditRow) {
  AddMachine("M-1");
  AddProduct(1, "Cola", 150);
  const int64_t before = Commands();
  auto r = CallJson("POST", "machines/M-1/stock", 202, R"({"product_id":1,"set":10})");
  EXPECT_EQ(Commands(), before + 1);
  EXPECT_EQ(Text("SELECT type || ' ' || data::text FROM commands WHERE id = '" +
                 r["command_id"].get<std::string>() + "'"),
            "stock.set {\"count\": 10, \"product_id\": 1}");
  EXPECT_EQ(Text("SELECT action || ' ' || target || ' ' || actor_username || ' ' || "
                 "(after->>'set') || ' ' || request_id FROM audit_log WHERE actor_id IS NOT NULL"),
            "stock.set machine:M-1/product:1 ann 10 req-test");
  CallJson("POST", "machines/M-1/stock", 202, R"({"product_id":1,"add":-2})");
  EXPECT_EQ(Count("SELECT count(*) FROM audit_log WHERE action = 'stock.add'"), 1);
  // Invalid requests change nothing.
  const int64_t commands = Commands(), audits = Audits();
  CallJson("POST", "machines/M-1/stock", 400, R"({"product_id":1,"set":10,"add":1})");
  CallJson("POST", "machines/M-1/stock", 400, R"({"product_id":1})");
  CallJson("POST", "machines/M-1/stock", 400, R"({"product_id":1,"add":0})");
  CallJson("POST", "machines/M-1/stock", 400, R"({"product_id":1,"set":1000001})");
  CallJson("POST", "machines/M-1/stock", 400, R"({"product_id":1,"set":1.5})");
  CallJson("POST", "machines/M-1/stock", 400, R"({"product_id":"1","set":1})");
  CallJson("POST", "machines/M-1/stock", 400, R"({"product_id":1,"set":1,"extra":1})");
  CallJson("POST", "machines/M-1/stock", 400, R"([1])");
  CallJson("POST", "machines/M-1/stock", 400, R"({"product_id":1,"set":1,"set":2})");
  CallJson("POST", "machines/M-1/stock", 400, R"({"product_id":1,"set":1)");
  CallJson("POST", "machines/M-1/stock", 404, R"({"product_id":9,"set":1})");
  CallJson("POST", "machines/M-9/stock", 404, R"({"product_id":1,"set":1})");
  EXPECT_EQ(Call("POST", "machines/M-1/stock", R"({"product_id":1,"set":1})", "text/plain").status,
            415);
  EXPECT_EQ(Call("POST", "machines/M-1/stock", std::string(70000, ' ')).status, 413);
  EXPECT_EQ(Commands(), commands);
  EXPECT_EQ(Audits(), audits);
}

TEST_F(PgPortalTest, AFailingWriteLeavesNoCommandAndNoAuditRow) {
  AddMachine("M-1");
  AddProduct(1, "Cola", 150);
  const int64_t commands = Commands(), audits = Audits();
  // The audit insert fails (no such account) after the commands were inserted: the whole
  // transaction, product change and commands included, rolls back.
  core::Actor ghost{987654, "ghost", "req-x", ""};
  core::ProductPatch patch;
  patch.price = 999;
  auto r = store_->ChangeProduct(1, patch, &ghost);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(store_->ChangeStock("M-1", 1, {true, 5}, &ghost).ok());
  EXPECT_FALSE(store_->ChangePrice("M-1", 1, 5, &ghost).ok());
  EXPECT_EQ(Commands(), commands);
  EXPECT_EQ(Audits(), audits);
  EXPECT_EQ(Count("SELECT price FROM products WHERE id = 1"), 150);
  EXPECT_EQ(Count("SELECT count(*) FROM machine_prices"), 0);
}

TEST_F(PgPortalTest, ProductCrudFansOutAndAudits) {
  AddMachine("M-1");
  AddMachine("M-2");
  AddProduct(4, "Cola", 150);
  const int64_t before = Commands();
  auto created = CallJson("POST", "products", 201,
                          R"({"name":"Robert'); DROP TABLE products;--","price":250,)"
                          R"("low_stock_threshold":5})");
  EXPECT_EQ(created["product"]["id"], 5);  // max + 1
  EXPECT_EQ(created["product"]["name"], "Robert'); DROP TABLE products;--");
  EXPECT_EQ(created["product"]["low_stock_threshold"], 5);
  EXPECT_EQ(created["product"]["has_image"], false);
  EXPECT_EQ(Commands(), before + 2);  // product.upsert to both machines
  CallJson("POST", "products", 409, R"({"id":4,"name":"Dup","price":1})");
  CallJson("POST", "products", 400, R"({"name":"","price":1})");
  CallJson("POST", "products", 400, R"({"name":"x","price":100000001})");
  CallJson("POST", "products", 400, R"({"name":"x","price":-1})");
  CallJson("POST", "products", 400, R"({"name":"x"})");

  auto patched = CallJson("PATCH", "products/5", 200, R"({"price":300})");
  EXPECT_EQ(patched["product"]["price"], 300);
  EXPECT_EQ(Commands(), before + 4);
  CallJson("PATCH", "products/5", 200, R"({"low_stock_threshold":1})");
  EXPECT_EQ(Commands(), before + 4);  // threshold is cloud-only
  CallJson("PATCH", "products/5", 400, R"({})");
  CallJson("PATCH", "products/5", 400, R"({"image":"x.png"})");
  EXPECT_EQ(Text("SELECT (before->>'price') || '->' || (after->>'price') FROM audit_log "
                 "WHERE action = 'product.update' ORDER BY id LIMIT 1"),
            "250->300");

  auto del = Call("DELETE", "products/5");
  EXPECT_EQ(del.status, 204);
  EXPECT_EQ(Count("SELECT count(*) FROM commands WHERE type = 'product.remove'"), 2);
  CallJson("DELETE", "products/5", 404);
  CallJson("PATCH", "products/5", 404, R"({"price":1})");
  EXPECT_EQ(CallJson("GET", "products", 200)["products"].size(), 1u);
  EXPECT_EQ(CallJson("GET", "products?include_removed=true", 200)["products"].size(), 2u);
  CallJson("GET", "products/abc", 404);
  CallJson("PUT", "products", 405);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_log WHERE actor_id = " + std::to_string(admin_id_) +
                  " AND action IN ('product.create', 'product.update', 'product.delete')"),
            4);
}

TEST_F(PgPortalTest, ConcurrentCreatesWithoutIdGetDistinctIds) {
  AddMachine("M-1");
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      auto r = store_->CreateProduct({0, "P" + std::to_string(i), 100, "", false}, std::nullopt,
                                     &actor_);
      if (r.ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 6);
  EXPECT_EQ(Count("SELECT count(DISTINCT id) FROM products"), 6);
  EXPECT_EQ(Count("SELECT max(id) FROM products"), 6);
}

TEST_F(PgPortalTest, PriceSetAndOverrideClear) {
  AddMachine("M-1");
  AddProduct(1, "Cola", 150);
  CallJson("DELETE", "machines/M-1/prices/1", 404);
  auto set = CallJson("PUT", "machines/M-1/prices/1", 202, R"({"price":120})");
  EXPECT_EQ(Text("SELECT data->>'price' FROM commands WHERE id = '" +
                 set["command_id"].get<std::string>() + "'"),
            "120");
  EXPECT_EQ(Text("SELECT (before->>'price') || '->' || (after->>'price') FROM audit_log "
                 "WHERE action = 'price.set' AND actor_id IS NOT NULL"),
            "150->120");
  auto cleared = CallJson("DELETE", "machines/M-1/prices/1", 202);
  EXPECT_EQ(Text("SELECT type || ' ' || (data->>'price') FROM commands WHERE id = '" +
                 cleared["command_id"].get<std::string>() + "'"),
            "product.upsert 150");
  EXPECT_EQ(Count("SELECT count(*) FROM machine_prices"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_log WHERE action = 'price.clear'"), 1);
  CallJson("DELETE", "machines/M-1/prices/1", 404);
  CallJson("PUT", "machines/M-1/prices/1", 400, R"({"price":-5})");
  CallJson("PUT", "machines/M-1/prices/0", 404, R"({"price":5})");
  CallJson("POST", "machines/M-1/prices/1", 405, R"({"price":5})");
}

TEST_F(PgPortalTest, ImageUploadValidatesAndKeepsTheOldImageOnError) {
  AddMachine("M-1");
  AddProduct(1, "Cola", 150);
  CallJson("GET", "products/1/image", 404);
  auto ok = Call("PUT", "products/1/image", kPng, "image/png");
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto p = json::parse(ok.body)["product"];
  const std::string sha = Text("SELECT sha256 FROM product_images WHERE product_id = 1");
  ASSERT_EQ(sha.size(), 64u);
  EXPECT_EQ(p["image"], "p1-" + sha.substr(0, 8) + ".png");
  EXPECT_EQ(p["has_image"], true);
  EXPECT_EQ(p["image_url"], "/api/v1/products/1/image?v=" + sha.substr(0, 8));
  EXPECT_EQ(Count("SELECT count(*) FROM commands WHERE type = 'product.upsert' AND "
                  "data->>'image' = 'p1-" +
                  sha.substr(0, 8) + ".png'"),
            1);
  const int64_t commands = Commands(), audits = Audits();
  EXPECT_EQ(Call("PUT", "products/1/image", kGif, "image/png").status, 400);  // magic mismatch
  EXPECT_EQ(Call("PUT", "products/1/image", "", "image/png").status, 400);
  EXPECT_EQ(Call("PUT", "products/1/image", kPng, "image/svg+xml").status, 415);
  EXPECT_EQ(
      Call("PUT", "products/1/image", kPng + std::string(1024 * 1024, 'x'), "image/png").status,
      413);
  EXPECT_EQ(Call("PUT", "products/9/image", kPng, "image/png").status, 404);
  EXPECT_EQ(Commands(), commands);
  EXPECT_EQ(Audits(), audits);
  EXPECT_EQ(Text("SELECT sha256 FROM product_images WHERE product_id = 1"), sha);

  auto get = Call("GET", "products/1/image");
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(get.body, kPng);
  EXPECT_EQ(get.content_type, "image/png");
  std::string etag;
  for (const auto& [k, v] : get.headers) {
    if (k == "ETag") etag = v;
  }
  EXPECT_EQ(etag, "\"" + sha + "\"");
  EXPECT_EQ(Call("GET", "products/1/image", "", "", {{"if-none-match", etag}}).status, 304);
  EXPECT_EQ(Call("GET", "products/1/image", "", "", {{"if-none-match", "\"other\""}}).status, 200);
  EXPECT_EQ(Call("PUT", "products/1/image", kGif, "image/gif").status, 200);
  EXPECT_NE(Text("SELECT sha256 FROM product_images WHERE product_id = 1"), sha);
}

// --- alerts and overview ----------------------------------------------------------

TEST_F(PgPortalTest, AlertsFromRealRows) {
  AddMachine("M-1");
  AddMachine("M-2");
  AddProduct(1, "Cola", 150);
  AddProduct(2, "Chips", 150);
  Exec("UPDATE machines SET online = true, last_seen = now()");
  Exec(
      "INSERT INTO stock VALUES ('M-1', 1, 0, now()), ('M-1', 2, 2, now()), "
      "('M-2', 1, 10, now())");
  Exec(
      "INSERT INTO telemetry_latest (machine_id, at, temperature_c, door_open, uptime_s, "
      "outbox_depth, stock, version) VALUES ('M-1', now(), 12.5, false, 1, 0, '{}', 'v'), "
      "('M-2', now() - interval '1 hour', 30, false, 1, 0, '{}', 'v')");
  auto r = CallJson("GET", "alerts", 200);
  std::multiset<std::string> kinds;
  for (const auto& a : r["alerts"]) {
    kinds.insert(a["machine"].get<std::string>() + " " + a["kind"].get<std::string>() + " " +
                 a["severity"].get<std::string>());
  }
  EXPECT_EQ(kinds, (std::multiset<std::string>{"M-1 low_stock critical", "M-1 low_stock warning",
                                               "M-1 temperature critical"}));
  EXPECT_EQ(CallJson("GET", "alerts?machine=M-2", 200)["alerts"].size(), 0u);
  CallJson("GET", "alerts?machine=a%20b", 400);
  Exec("UPDATE machines SET last_seen = now() - interval '10 minutes' WHERE id = 'M-2'");
  EXPECT_EQ(CallJson("GET", "alerts?machine=M-2", 200)["alerts"][0]["kind"], "offline");
  ASSERT_TRUE(store_->RemoveProduct(1).ok());
  auto overview = CallJson("GET", "overview", 200);
  EXPECT_EQ(overview["machines"], 2);
  EXPECT_EQ(overview["online"], 2);
  EXPECT_EQ(overview["alerts"], 3);  // Chips low, temperature, M-2 offline
  EXPECT_EQ(overview["pending_accounts"], 0);
  CallJson("GET", "nothing", 404);
}

}  // namespace
}  // namespace vend::cloud::testing
