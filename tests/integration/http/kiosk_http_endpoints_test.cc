// Every endpoint of DESIGN.md section 2 answering a well-formed request, with JSON
// bodies, form-encoded bodies and query parameters.
#include <regex>
#include <string>

#include "kiosk_harness.h"
#include "support/http_client.h"

namespace vend::edge::http_test {
namespace {

using nlohmann::json;
using test_support::UrlEncode;

class KioskHttp : public KioskHttpTest {};

int64_t AddProductOrFail(KioskServer& server, int64_t price, int64_t count, bool refundable) {
  auto id = server.AddProduct(KioskClient::UniqueName("product"), price, count, refundable);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return id.ok() ? *id : 0;
}

TEST_F(KioskHttp, ListsProductsWithPricesInCents) {
  const HttpReply r = kiosk().Get("/api/v1/products");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.Header("Content-Type").rfind("application/json", 0), 0u);
  const json products = JsonOf(r);
  ASSERT_TRUE(products.is_array()) << r;
  ASSERT_GE(products.size(), 4u);
  const json& cola = products[0];
  EXPECT_EQ(cola["id"], kCola);
  EXPECT_EQ(cola["name"], "Cola");
  EXPECT_EQ(cola["price"], kColaPrice);
  EXPECT_TRUE(cola["count"].is_number_integer());
  EXPECT_EQ(cola["image"], "cola.svg");
  EXPECT_EQ(cola["is_refundable"], true);
  EXPECT_EQ(products[1]["id"], kWater);
  EXPECT_EQ(products[1]["is_refundable"], false);
  EXPECT_EQ(products[2]["id"], kGum);
  EXPECT_EQ(products[3]["id"], kSoldOut);
  EXPECT_EQ(products[3]["count"], 0);
}

TEST_F(KioskHttp, ReturnsOneProduct) {
  const HttpReply r = kiosk().Get("/api/v1/products/2");
  ASSERT_EQ(r.status, 200) << r;
  const json water = JsonOf(r);
  EXPECT_EQ(water["id"], kWater);
  EXPECT_EQ(water["name"], "Water");
  EXPECT_EQ(water["price"], kWaterPrice);
  EXPECT_EQ(water["image"], "water.svg");
  EXPECT_EQ(water["is_refundable"], false);
  EXPECT_TRUE(water["count"].is_number_integer());
}

TEST_F(KioskHttp, CreatesUserWith201ThenReturnsTheSameUserWith200) {
  const std::string name = KioskClient::UniqueName();
  const HttpReply first = kiosk().CreateUser(name);
  ASSERT_EQ(first.status, 201) << first;
  const json created = JsonOf(first);
  EXPECT_GT(created["id"].get<int64_t>(), 0);
  EXPECT_EQ(created["user_name"], name);
  EXPECT_EQ(created["balance"], 0);

  const HttpReply again = kiosk().CreateUser(name);
  ASSERT_EQ(again.status, 200) << again;
  EXPECT_EQ(JsonOf(again), created);
}

TEST_F(KioskHttp, CreatesUserFromFormBody) {
  const std::string name = KioskClient::UniqueName("form user");
  const HttpReply r = kiosk().PostForm("/api/v1/users", "user_name=" + UrlEncode(name));
  ASSERT_EQ(r.status, 201) << r;
  EXPECT_EQ(JsonOf(r)["user_name"], name);
}

TEST_F(KioskHttp, FormBodyDecodesPlusAsSpace) {
  const std::string name = KioskClient::UniqueName("plus");
  const HttpReply r = kiosk().PostForm("/api/v1/users", "user_name=a+b+" + name);
  ASSERT_EQ(r.status, 201) << r;
  EXPECT_EQ(JsonOf(r)["user_name"], "a b " + name);
}

TEST_F(KioskHttp, CreatesUserFromQueryParameter) {
  const std::string name = KioskClient::UniqueName();
  const HttpReply r =
      kiosk().http().Post("/api/v1/users?user_name=" + UrlEncode(name), "application/json", "");
  ASSERT_EQ(r.status, 201) << r;
  EXPECT_EQ(JsonOf(r)["user_name"], name);
}

TEST_F(KioskHttp, BodyFieldsOverrideQueryParameters) {
  const std::string body_name = KioskClient::UniqueName("body");
  const std::string query_name = KioskClient::UniqueName("query");
  const HttpReply r = kiosk().PostJson("/api/v1/users?user_name=" + UrlEncode(query_name),
                                       json{{"user_name", body_name}});
  ASSERT_EQ(r.status, 201) << r;
  EXPECT_EQ(JsonOf(r)["user_name"], body_name);
}

TEST_F(KioskHttp, GetsUserByIdWithUserNameInQuery) {
  const Customer c = kiosk().NewCustomer(300);
  const HttpReply r = kiosk().Get(UserTarget(c));
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(JsonOf(r), (json{{"id", c.id}, {"user_name", c.user_name}, {"balance", 300}}));
}

TEST_F(KioskHttp, AddsBalanceFromJsonBody) {
  const Customer c = kiosk().NewCustomer();
  const HttpReply r = kiosk().Deposit(c, 250);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(JsonOf(r), (json{{"id", c.id}, {"user_name", c.user_name}, {"balance", 250}}));
  EXPECT_EQ(kiosk().Balance(c), 250);
}

TEST_F(KioskHttp, AddsBalanceFromFormBody) {
  const Customer c = kiosk().NewCustomer(100);
  const HttpReply r = kiosk().PostForm("/api/v1/users/" + std::to_string(c.id) + "/add_balance",
                                       "user_name=" + UrlEncode(c.user_name) + "&amount=40");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(JsonOf(r)["balance"], 140);
}

TEST_F(KioskHttp, AddsBalanceFromQueryParameters) {
  const Customer c = kiosk().NewCustomer();
  const HttpReply r =
      kiosk().http().Post(UserTarget(c, "/add_balance") + "&amount=75", "application/json", "");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(kiosk().Balance(c), 75);
}

TEST_F(KioskHttp, AcceptsDepositOfExactlyTheCap) {
  const Customer c = kiosk().NewCustomer();
  const HttpReply r = kiosk().Deposit(c, kMaxDeposit);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(kiosk().Balance(c), kMaxDeposit);
}

TEST_F(KioskHttp, BuyReturns201WithOrderAndBalance) {
  const Customer c = kiosk().NewCustomer(500);
  const HttpReply r = kiosk().Buy(c, kCola);
  ASSERT_EQ(r.status, 201) << r;
  const json body = JsonOf(r);
  ASSERT_TRUE(body["order"].is_object()) << r;
  const json& order = body["order"];
  EXPECT_GT(order["id"].get<int64_t>(), 0);
  EXPECT_TRUE(std::regex_match(order["uuid"].get<std::string>(),
                               std::regex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                                          "[0-9a-f]{12}")))
      << order["uuid"];
  EXPECT_EQ(order["product_id"], kCola);
  EXPECT_EQ(order["price"], kColaPrice);
  EXPECT_EQ(order["status"], "paid");
  EXPECT_TRUE(std::regex_match(order["created_at"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)")))
      << order["created_at"];
  EXPECT_EQ(body["balance"], 500 - kColaPrice);
}

TEST_F(KioskHttp, BuyChargesTheCustomerAndTakesOneFromStock) {
  const int64_t product = AddProductOrFail(server(), 120, 5, false);
  const Customer c = kiosk().NewCustomer(500);
  ASSERT_EQ(kiosk().Buy(c, product).status, 201);
  EXPECT_EQ(kiosk().Balance(c), 380);
  EXPECT_EQ(kiosk().Stock(product), 4);
}

TEST_F(KioskHttp, BuyAcceptsFormBody) {
  const Customer c = kiosk().NewCustomer(500);
  const HttpReply r = kiosk().PostForm("/api/v1/products/1/buy",
                                       "user_name=" + UrlEncode(c.user_name) + "&product_id=1");
  ASSERT_EQ(r.status, 201) << r;
  EXPECT_EQ(JsonOf(r)["balance"], 500 - kColaPrice);
}

TEST_F(KioskHttp, BuyAcceptsQueryParameters) {
  const Customer c = kiosk().NewCustomer(500);
  const HttpReply r =
      kiosk().http().Post("/api/v1/products/1/buy?product_id=1&user_name=" + UrlEncode(c.user_name),
                          "application/json", "");
  ASSERT_EQ(r.status, 201) << r;
  EXPECT_EQ(JsonOf(r)["order"]["product_id"], kCola);
}

TEST_F(KioskHttp, BuyAcceptsMatchingProductIdInBody) {
  const Customer c = kiosk().NewCustomer(500);
  const HttpReply r = kiosk().Buy(c, kCola, {{"product_id", kCola}});
  ASSERT_EQ(r.status, 201) << r;
}

TEST_F(KioskHttp, RefundsAnExplicitOrder) {
  const int64_t product = AddProductOrFail(server(), 120, 5, true);
  const Customer c = kiosk().NewCustomer(500);
  const HttpReply first = kiosk().Buy(c, product);
  ASSERT_EQ(first.status, 201) << first;
  ASSERT_EQ(kiosk().Buy(c, product).status, 201);
  const int64_t first_id = JsonOf(first)["order"]["id"];

  const HttpReply r = kiosk().Refund(c, product, {{"order_id", first_id}});
  ASSERT_EQ(r.status, 200) << r;
  const json body = JsonOf(r);
  EXPECT_EQ(body["order"]["id"], first_id);
  EXPECT_EQ(body["order"]["status"], "refunded");
  EXPECT_TRUE(body["order"]["refunded_at"].is_string());
  EXPECT_EQ(body["balance"], 500 - 120);
  EXPECT_EQ(kiosk().Balance(c), 500 - 120);
  EXPECT_EQ(kiosk().Stock(product), 4);
}

TEST_F(KioskHttp, RefundWithoutOrderIdTakesTheLatestPaidOrder) {
  const int64_t product = AddProductOrFail(server(), 100, 5, true);
  const Customer c = kiosk().NewCustomer(500);
  ASSERT_EQ(kiosk().Buy(c, product).status, 201);
  const HttpReply latest = kiosk().Buy(c, product);
  ASSERT_EQ(latest.status, 201) << latest;

  const HttpReply r = kiosk().Refund(c, product);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(JsonOf(r)["order"]["id"], JsonOf(latest)["order"]["id"]);
  EXPECT_EQ(JsonOf(r)["balance"], 400);

  const HttpReply next = kiosk().Refund(c, product);  // then the older one
  ASSERT_EQ(next.status, 200) << next;
  EXPECT_NE(JsonOf(next)["order"]["id"], JsonOf(latest)["order"]["id"]);
  EXPECT_EQ(JsonOf(next)["balance"], 500);
}

TEST_F(KioskHttp, RefundAcceptsFormBody) {
  const Customer c = kiosk().NewCustomer(500);
  ASSERT_EQ(kiosk().Buy(c, kCola).status, 201);
  const HttpReply r = kiosk().PostForm("/api/v1/products/1/refund",
                                       "user_name=" + UrlEncode(c.user_name) + "&product_id=1");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(JsonOf(r)["balance"], 500);
}

TEST_F(KioskHttp, ListsOrdersNewestFirst) {
  const Customer c = kiosk().NewCustomer(1000);
  const HttpReply first = kiosk().Buy(c, kCola);
  const HttpReply second = kiosk().Buy(c, kWater);
  ASSERT_EQ(first.status, 201) << first;
  ASSERT_EQ(second.status, 201) << second;
  ASSERT_EQ(kiosk().Refund(c, kCola).status, 200);

  const json orders = kiosk().Orders(c);
  ASSERT_EQ(orders.size(), 2u) << orders;
  EXPECT_EQ(orders[0]["id"], JsonOf(second)["order"]["id"]);
  EXPECT_EQ(orders[0]["product_id"], kWater);
  EXPECT_EQ(orders[0]["status"], "paid");
  EXPECT_EQ(orders[1]["id"], JsonOf(first)["order"]["id"]);
  EXPECT_EQ(orders[1]["status"], "refunded");
}

TEST_F(KioskHttp, ListsNoOrdersForANewCustomer) {
  const Customer c = kiosk().NewCustomer();
  EXPECT_EQ(kiosk().Orders(c), json::array());
}

TEST_F(KioskHttp, SameIdempotencyKeyReturnsTheSameOrderAndChargesOnce) {
  const int64_t product = AddProductOrFail(server(), 120, 5, false);
  const Customer c = kiosk().NewCustomer(500);
  const int64_t seq_before = store().Outbox()->last_seq;
  const json key = {{"idempotency_key", KioskClient::UniqueName("key")}};

  const HttpReply first = kiosk().Buy(c, product, key);
  const HttpReply again = kiosk().Buy(c, product, key);
  ASSERT_EQ(first.status, 201) << first;
  ASSERT_EQ(again.status, 201) << again;
  EXPECT_EQ(JsonOf(again)["order"], JsonOf(first)["order"]);
  EXPECT_EQ(again.Header("Idempotent-Replayed"), "true");
  EXPECT_EQ(JsonOf(again)["balance"], 380);
  EXPECT_EQ(kiosk().Balance(c), 380);
  EXPECT_EQ(kiosk().Stock(product), 4);
  EXPECT_EQ(kiosk().Orders(c).size(), 1u);

  auto events = store().PendingEvents(seq_before, 100);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  int created = 0;
  for (const auto& e : *events) {
    created += std::holds_alternative<schemas::OrderCreated>(e.data) ? 1 : 0;
  }
  EXPECT_EQ(created, 1);
}

TEST_F(KioskHttp, BuyAppendsOrderCreatedAndStockChangedToTheOutbox) {
  const int64_t product = AddProductOrFail(server(), 120, 5, false);
  const Customer c = kiosk().NewCustomer(500);
  const int64_t seq_before = store().Outbox()->last_seq;
  const HttpReply r = kiosk().Buy(c, product);
  ASSERT_EQ(r.status, 201) << r;

  auto events = store().PendingEvents(seq_before, 100);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 2u);
  const auto* created = std::get_if<schemas::OrderCreated>(&(*events)[0].data);
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(created->order_id, JsonOf(r)["order"]["id"]);
  EXPECT_EQ(created->customer_id, c.id);
  EXPECT_EQ(created->user_name, c.user_name);
  EXPECT_EQ(created->price, 120);
  EXPECT_EQ(created->balance_after, 380);
  const auto* stock = std::get_if<schemas::StockChanged>(&(*events)[1].data);
  ASSERT_NE(stock, nullptr);
  EXPECT_EQ(stock->product_id, product);
  EXPECT_EQ(stock->count, 4);
  EXPECT_EQ(stock->cause, "sale");
}

TEST_F(KioskHttp, HealthzReportsOutboxDepth) {
  const HttpReply r = kiosk().Get("/healthz");
  ASSERT_EQ(r.status, 200) << r;
  const json health = JsonOf(r);
  EXPECT_EQ(health["status"], "ok");
  EXPECT_EQ(health["machine_id"], "test-machine");
  auto outbox = store().Outbox();
  ASSERT_TRUE(outbox.ok());
  EXPECT_EQ(health["outbox"]["depth"], outbox->depth);
  EXPECT_EQ(health["outbox"]["last_seq"], outbox->last_seq);
  EXPECT_GT(outbox->depth, 0);  // the seeded catalog's stock events at least
}

TEST_F(KioskHttp, HealthzOutboxDepthGrowsWithADeposit) {
  const Customer c = kiosk().NewCustomer();
  const int64_t before = JsonOf(kiosk().Get("/healthz"))["outbox"]["depth"];
  ASSERT_EQ(kiosk().Deposit(c, 10).status, 200);
  EXPECT_EQ(JsonOf(kiosk().Get("/healthz"))["outbox"]["depth"], before + 1);
}

TEST_F(KioskHttp, MetricsExposeRequestSalesDepositRefundAndOutboxSeries) {
  const Customer c = kiosk().NewCustomer(500);
  ASSERT_EQ(kiosk().Buy(c, kCola).status, 201);
  ASSERT_EQ(kiosk().Refund(c, kCola).status, 200);

  const HttpReply r = kiosk().Get("/metrics");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.Header("Content-Type").rfind("text/plain", 0), 0u) << r.Header("Content-Type");
  const std::string& text = r.body;
  EXPECT_NE(text.find("# TYPE vend_edge_http_requests_total counter"), std::string::npos);
  EXPECT_NE(text.find("vend_edge_http_requests_total{route=\"/api/v1/products/{id}/buy\","
                      "method=\"POST\",status=\"201\"}"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE vend_edge_http_request_duration_seconds histogram"),
            std::string::npos);
  EXPECT_NE(text.find("vend_edge_http_request_duration_seconds_bucket{route=\"/api/v1/users\","
                      "le=\"+Inf\"}"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("vend_edge_http_request_duration_seconds_count{route="), std::string::npos);
  EXPECT_GE(MetricValue(text, "vend_edge_sales_total").value_or(0), 1);
  EXPECT_GE(MetricValue(text, "vend_edge_deposits_total").value_or(0), 1);
  EXPECT_GE(MetricValue(text, "vend_edge_refunds_total").value_or(0), 1);
  auto outbox = store().Outbox();
  ASSERT_TRUE(outbox.ok());
  EXPECT_EQ(MetricValue(text, "vend_edge_outbox_depth"), static_cast<double>(outbox->depth));
}

TEST_F(KioskHttp, SalesCounterCountsEachSaleOnce) {
  const Customer c = kiosk().NewCustomer(500);
  const json key = {{"idempotency_key", KioskClient::UniqueName("key")}};
  const double before =
      MetricValue(kiosk().Get("/metrics").body, "vend_edge_sales_total").value_or(-1);
  ASSERT_EQ(kiosk().Buy(c, kCola, key).status, 201);
  ASSERT_EQ(kiosk().Buy(c, kCola, key).status, 201);  // a replay is not a sale
  EXPECT_EQ(MetricValue(kiosk().Get("/metrics").body, "vend_edge_sales_total"), before + 1);
}

// HEAD is served like GET (kiosk_api.cc treats them alike), but its reply must carry
// no content: the bytes would be read as the start of the next response.
TEST_F(KioskHttp, AnswersHeadWithoutABody) {
  for (const char* target : {"/api/v1/products", "/api/v1/products/1", "/healthz", "/metrics",
                             "/api/v1/products/999999", "/"}) {
    HttpRequestSpec spec;
    spec.method = "HEAD";
    spec.target = target;
    const HttpReply r = kiosk().http().Send(spec);
    EXPECT_NE(r.status, 0) << target << ": " << r;
    EXPECT_TRUE(r.body.empty()) << "HEAD " << target << " sent " << r.body.size()
                                << " bytes of content: " << r.body.substr(0, 60);
  }
}

// Label values must come from a fixed set: a series per client-invented method would
// let any client grow the registry (and every scrape) without bound.
TEST_F(KioskHttp, MetricsDoNotGrowASeriesPerInventedMethod) {
  for (const char* method : {"XINVENTED1", "XINVENTED2", "XINVENTED3"}) {
    HttpRequestSpec spec;
    spec.method = method;
    spec.target = "/";
    EXPECT_EQ(kiosk().http().Send(spec).status, 405) << method;
  }
  const std::string metrics = kiosk().Get("/metrics").body;
  const size_t at = metrics.find("XINVENTED");
  EXPECT_EQ(at, std::string::npos)
      << "a series for an invented method: "
      << metrics.substr(metrics.rfind('\n', at) + 1, metrics.find('\n', at) - at);
}

TEST_F(KioskHttp, ServesTheKioskPageAtRoot) {
  const HttpReply r = kiosk().Get("/");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(r.body, kIndexHtml);
}

TEST_F(KioskHttp, ServesImagesWithTheirContentType) {
  const HttpReply r = kiosk().Get("/images/x.svg");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.Header("Content-Type"), "image/svg+xml");
  EXPECT_EQ(r.body, kImageSvg);
}

}  // namespace
}  // namespace vend::edge::http_test
