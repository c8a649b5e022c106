// The admin API's authorization matrix and its input validation, against the real
// `vend-cloud serve` (AdminStack: its own broker and database, a first admin from the
// environment).
//
// kEndpoints lists every operation of the admin API (DESIGN.md section 3), as documented
// in schemas/openapi/admin.yaml; check_admin_openapi.py keeps the two lists equal and,
// with this binary, validates every answer recorded here against the documented schemas.
// Each line says what the admin gets (the endpoint's own answer); the other roles'
// answers follow from the rules: register and login are open to all; anonymous gets 401
// elsewhere (logout is a no-op 204); an unapproved account 403 not_approved except for
// /auth/me and /auth/logout; an operator (role 100) every GET and 403 forbidden for any
// mutation. A refused request must change nothing: products, prices, images, accounts,
// stock, orders, the audit log and the command outbox are compared before and after.
//
// The bad-input tables send, as the admin, what a careless or hostile client would:
// wrong JSON types, missing and unknown fields, strings and integers out of range, bad
// path ids and query values, oversize bodies and images that are not what they claim;
// each gets its 4xx and changes nothing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/admin_stack.h"

namespace vend::test_support {
namespace {

using nlohmann::json;

constexpr char kOrderUuid[] = "01a218f1-8b28-726a-82e1-82a491c0b4cd";
constexpr char kPassword[] = "account-password-1";

// The smallest valid PNG and JPEG headers the server's magic-byte check must accept.
const std::string kPng(
    "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89", 33);
const std::string kJpeg("\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xd9", 22);

enum class Role { kAnonymous, kUnapproved, kOperator, kAdmin };

const char* RoleName(Role r) {
  switch (r) {
    case Role::kAnonymous:
      return "anonymous";
    case Role::kUnapproved:
      return "unapproved";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
  }
  return "?";
}

struct Endpoint {
  std::string method;
  std::string route;   // as in admin.yaml
  std::string target;  // a concrete request of the seeded fleet (see Seed)
  std::string content_type;
  std::string body;
  int admin_status;  // what the admin gets: the endpoint's own answer
  // Who else is let through (the contract's exceptions), with the status they get.
  int anonymous_status = 401;
  bool audited = false;       // an admin success writes an audit row
  bool ends_session = false;  // logout: sent from a throwaway session of the role
  // register/login: open to everyone, a session or not; sent from a throwaway client of
  // the role (a login replaces the client's session).
  bool open = false;
};

const std::string kJson = "application/json";

// One line per operation of the contract.
const std::vector<Endpoint> kEndpoints = {
    {"POST", "/api/v1/auth/register", "/api/v1/auth/register", kJson,
     R"({"username":"newbie","email":"newbie@example.test","password":"newbie-password-1"})", 201,
     201, false, false, true},
    {"POST", "/api/v1/auth/login", "/api/v1/auth/login", kJson,
     R"({"username":"root-admin","password":"root-password-1"})", 200, 200, false, false, true},
    {"POST", "/api/v1/auth/logout", "/api/v1/auth/logout", "", "", 204, 204, false, true},
    {"GET", "/api/v1/auth/me", "/api/v1/auth/me", "", "", 200},
    {"GET", "/api/v1/accounts", "/api/v1/accounts?status=pending", "", "", 200},
    {"PATCH", "/api/v1/accounts/{id}", "/api/v1/accounts/{victim}", kJson, R"({"approved":true})",
     200, 401, true},
    {"GET", "/api/v1/audit", "/api/v1/audit?limit=10", "", "", 200},
    {"GET", "/api/v1/overview", "/api/v1/overview", "", "", 200},
    {"GET", "/api/v1/alerts", "/api/v1/alerts", "", "", 200},
    {"GET", "/api/v1/machines", "/api/v1/machines", "", "", 200},
    {"GET", "/api/v1/machines/{id}", "/api/v1/machines/M-1", "", "", 200},
    {"GET", "/api/v1/machines/{id}/telemetry", "/api/v1/machines/M-1/telemetry", "", "", 200},
    {"GET", "/api/v1/machines/{id}/sales", "/api/v1/machines/M-1/sales?days=7", "", "", 200},
    {"GET", "/api/v1/machines/{id}/balances", "/api/v1/machines/M-1/balances", "", "", 200},
    {"POST", "/api/v1/machines/{id}/stock", "/api/v1/machines/M-1/stock", kJson,
     R"({"product_id":1,"set":10})", 202, 401, true},
    {"PUT", "/api/v1/machines/{id}/prices/{product_id}", "/api/v1/machines/M-1/prices/1", kJson,
     R"({"price":130})", 202, 401, true},
    {"DELETE", "/api/v1/machines/{id}/prices/{product_id}", "/api/v1/machines/M-1/prices/3", "", "",
     202, 401, true},
    {"GET", "/api/v1/products", "/api/v1/products?include_removed=true", "", "", 200},
    {"POST", "/api/v1/products", "/api/v1/products", kJson,
     R"({"name":"Matrix Tea","price":200,"is_refundable":true,"low_stock_threshold":4})", 201, 401,
     true},
    {"GET", "/api/v1/products/{id}", "/api/v1/products/1", "", "", 200},
    {"PATCH", "/api/v1/products/{id}", "/api/v1/products/1", kJson, R"({"price":155})", 200, 401,
     true},
    {"DELETE", "/api/v1/products/{id}", "/api/v1/products/5", "", "", 204, 401, true},
    {"GET", "/api/v1/products/{id}/image", "/api/v1/products/1/image", "", "", 200},
    {"PUT", "/api/v1/products/{id}/image", "/api/v1/products/2/image", "image/png", kPng, 200, 401,
     true},
    {"GET", "/api/v1/orders", "/api/v1/orders?limit=5", "", "", 200},
    {"GET", "/api/v1/orders.csv", "/api/v1/orders.csv?machine=M-1", "", "", 200},
    {"GET", "/api/v1/orders/{uuid}", std::string("/api/v1/orders/") + kOrderUuid, "", "", 200},
};

bool IsMutating(const std::string& method) { return method != "GET" && method != "HEAD"; }

// With VEND_ADMIN_API_DUMP set, every exchange is appended to that file as one JSON line
// (method, target, status, content type, body; bytes of images are left out), so
// check_admin_openapi.py --responses can validate the live answers against admin.yaml.
void Record(const std::string& method, const std::string& target, const HttpReply& r) {
  const char* path = std::getenv("VEND_ADMIN_API_DUMP");
  if (path == nullptr || *path == '\0') return;
  const std::string type = r.Header("Content-Type");
  const bool text = type.rfind("application/json", 0) == 0 || type.rfind("text/", 0) == 0;
  json line = {{"method", method},
               {"target", target},
               {"status", r.status},
               {"content_type", type},
               {"body", text ? r.body : std::string()},
               {"body_size", r.body.size()}};
  std::ofstream(path, std::ios::app)
      << line.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
}

std::string ErrorCode(const HttpReply& r) {
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("error") || !j["error"].is_object()) {
    return "";
  }
  return j["error"].value("code", "");
}

std::string ErrorMessage(const HttpReply& r) {
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("error") || !j["error"].is_object()) {
    return "";
  }
  return j["error"].value("message", "");
}

class AdminApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stack_ = std::make_unique<AdminStack>();
    Seed();
    admin_ = std::make_unique<AdminClient>(stack_->AdminSession());
  }

  // Two machines, five products (5 is the one the matrix deletes), stock, price overrides
  // on M-1 for products 1 and 3, a customer, an order, telemetry and an image of product 1.
  void Seed() {
    stack_->Exec(R"SQL(
      INSERT INTO machines (id, mqtt_username, online, online_since, last_seen, agent_version,
                            watermark)
        VALUES ('M-1', 'M-1', true, now(), now(), '0.1.0', 5),
               ('M-2', 'M-2', false, NULL, now() - interval '1 hour', NULL, 0);
      INSERT INTO products (id, name, price, image, is_refundable)
        VALUES (1, 'Cola', 150, 'cola.svg', true), (2, 'Water', 100, '', false),
               (3, 'Chips', 120, '', false), (4, 'Gum', 50, '', false),
               (5, 'Doomed', 90, '', false);
      INSERT INTO stock (machine_id, product_id, count, updated_at)
        VALUES ('M-1', 1, 8, now()), ('M-1', 2, 2, now());
      INSERT INTO machine_prices (machine_id, product_id, price)
        VALUES ('M-1', 1, 120), ('M-1', 3, 110);
      INSERT INTO customers (machine_id, customer_id, user_name, balance, updated_at)
        VALUES ('M-1', 1, 'kiosk-abc', 850, now());
      INSERT INTO orders (machine_id, order_id, uuid, customer_id, user_name, product_id, price,
                          status, created_at)
        VALUES ('M-1', 1, '01a218f1-8b28-726a-82e1-82a491c0b4cd', 1, 'kiosk-abc', 1, 150, 'paid',
                now() - interval '1 minute');
      INSERT INTO telemetry_latest (machine_id, at, temperature_c, door_open, uptime_s,
                                    outbox_depth, stock, version)
        VALUES ('M-1', now(), 4.5, false, 100, 0, '{}', '0.1.0');
      INSERT INTO telemetry (machine_id, at, temperature_c, door_open, uptime_s, outbox_depth,
                             stock, version)
        VALUES ('M-1', now() - interval '1 minute', 4.4, false, 40, 1, '{}', '0.1.0'),
               ('M-1', now(), 4.5, false, 100, 0, '{}', '0.1.0');
      INSERT INTO product_images (product_id, content_type, data, sha256)
        SELECT 1, 'image/png', d, encode(sha256(d), 'hex')
        FROM (SELECT decode('89504e470d0a1a0a0000000d49484452', 'hex') AS d) s;
    )SQL");
  }

  // Everything a refused request must leave as it was.
  std::string Snapshot() const {
    return stack_->QueryText(R"SQL(
      SELECT concat_ws(' | ',
        'audit=' || (SELECT count(*) FROM audit_log),
        'commands=' || (SELECT count(*) FROM commands),
        'products=' || (SELECT md5(coalesce(string_agg(
            concat_ws(',', id, name, price, image, is_refundable, removed, updated_at,
                      low_stock_threshold), ';' ORDER BY id), '')) FROM products),
        'prices=' || (SELECT md5(coalesce(string_agg(
            concat_ws(',', machine_id, product_id, price, updated_at), ';'
            ORDER BY machine_id, product_id), '')) FROM machine_prices),
        'images=' || (SELECT md5(coalesce(string_agg(concat_ws(',', product_id, sha256,
            content_type, updated_at), ';' ORDER BY product_id), '')) FROM product_images),
        'accounts=' || (SELECT md5(coalesce(string_agg(concat_ws(',', id, username, email,
            role, approved), ';' ORDER BY id), '')) FROM accounts),
        'stock=' || (SELECT md5(coalesce(string_agg(concat_ws(',', machine_id, product_id,
            count), ';' ORDER BY machine_id, product_id), '')) FROM stock),
        'orders=' || (SELECT count(*) FROM orders))
    )SQL");
  }

  int64_t AccountId(const std::string& username) const {
    return stack_->QueryInt("SELECT id FROM accounts WHERE username = '" + username + "'");
  }

  // `target` with {victim} replaced by the id of the account the matrix may approve.
  std::string Target(const Endpoint& e) const {
    std::string t = e.target;
    auto at = t.find("{victim}");
    if (at != std::string::npos) t.replace(at, 8, std::to_string(AccountId("victim")));
    return t;
  }

  static HttpReply Call(AdminClient& client, const Endpoint& e, const std::string& target) {
    HttpRequestSpec spec;
    spec.method = e.method;
    spec.target = target;
    if (!e.content_type.empty()) spec.headers.emplace_back("Content-Type", e.content_type);
    spec.body = e.body;
    HttpReply r = client.Send(spec);
    Record(e.method, target, r);
    return r;
  }

  // Sends every endpoint as `role` and checks its answer; refused calls change nothing.
  void RunMatrix(Role role, const std::function<AdminClient()>& make_session) {
    AdminClient client = make_session();
    for (const Endpoint& e : kEndpoints) {
      SCOPED_TRACE(std::string(RoleName(role)) + " " + e.method + " " + e.target);
      int want;
      std::string want_code;
      switch (role) {
        case Role::kAnonymous:
          want = e.open ? e.admin_status : e.anonymous_status;
          if (want == 401) want_code = "unauthenticated";
          break;
        case Role::kUnapproved:
          if (e.open || e.ends_session || e.route == "/api/v1/auth/me") {
            want = e.admin_status;
          } else {
            want = 403;
            want_code = "not_approved";
          }
          break;
        case Role::kOperator:
          if (!IsMutating(e.method) || e.open || e.ends_session) {
            want = e.admin_status;
          } else {
            want = 403;
            want_code = "forbidden";
          }
          break;
        case Role::kAdmin:
          want = e.admin_status;
          break;
      }
      std::string target = Target(e);
      std::string before = Snapshot();
      int64_t audit_before = stack_->QueryInt("SELECT count(*) FROM audit_log");
      // Anonymous calls and logouts each get a fresh client: a login must not turn the
      // anonymous client into a session, and a logout must not end the role's session.
      AdminClient c =
          role == Role::kAnonymous || e.ends_session || e.open ? make_session() : client;
      HttpReply r = Call(c, e, target);
      EXPECT_EQ(r.status, want) << r;
      EXPECT_FALSE(r.Header("X-Request-Id").empty()) << r;
      if (!want_code.empty()) {
        EXPECT_EQ(ErrorCode(r), want_code) << r;
      }
      if (want >= 400) {
        EXPECT_EQ(Snapshot(), before) << "a refused request changed something";
      } else if (role == Role::kAdmin && e.audited) {
        EXPECT_EQ(stack_->QueryInt("SELECT count(*) FROM audit_log"), audit_before + 1)
            << "one audit row per change";
        // The snapshot sees the change (so "unchanged" above means something).
        EXPECT_NE(Snapshot(), before);
      } else if (!IsMutating(e.method)) {
        EXPECT_EQ(Snapshot(), before) << "a GET changed something";
      }
    }
  }

  std::unique_ptr<AdminStack> stack_;
  std::unique_ptr<AdminClient> admin_;
};

// ---- Authorization matrix --------------------------------------------------------------

TEST_F(AdminApiTest, AnonymousIsRefusedEverywhereButRegisterLoginAndLogout) {
  stack_->CreateAccount("victim", 100, false);
  RunMatrix(Role::kAnonymous, [&] { return stack_->Client(); });
}

TEST_F(AdminApiTest, UnapprovedAccountSeesOnlyMeAndLogout) {
  stack_->CreateAccount("victim", 100, false);
  stack_->CreateAccount("waiting", 100, false);
  RunMatrix(Role::kUnapproved, [&] {
    AdminClient c = stack_->Client();
    EXPECT_EQ(c.Login("waiting", kPassword).status, 200);
    return c;
  });
}

TEST_F(AdminApiTest, OperatorReadsEverythingAndChangesNothing) {
  stack_->CreateAccount("victim", 100, false);
  stack_->CreateAccount("oper", 100, true);
  RunMatrix(Role::kOperator, [&] {
    AdminClient c = stack_->Client();
    EXPECT_EQ(c.Login("oper", kPassword).status, 200);
    return c;
  });
}

TEST_F(AdminApiTest, AdminReachesEveryEndpoint) {
  stack_->CreateAccount("victim", 100, false);
  RunMatrix(Role::kAdmin, [&] { return stack_->AdminSession(); });
}

TEST_F(AdminApiTest, UnknownRouteIs401ForAnonymousAnd404ForAdmin) {
  AdminClient anon = stack_->Client();
  EXPECT_EQ(anon.Get("/api/v1/no-such-thing").status, 401);
  HttpReply r = admin_->Get("/api/v1/no-such-thing");
  EXPECT_EQ(r.status, 404) << r;
  EXPECT_EQ(ErrorCode(r), "not_found") << r;
  HttpRequestSpec put;
  put.method = "PUT";
  put.target = "/api/v1/machines";
  put.headers = {{"Content-Type", kJson}};
  put.body = "{}";
  r = admin_->Send(put);
  EXPECT_EQ(r.status, 405) << r;
  EXPECT_FALSE(r.Header("Allow").empty()) << r;
}

TEST_F(AdminApiTest, HeadIsAuthorizedAsGetAndHasNoBody) {
  stack_->CreateAccount("waiting", 100, false);
  AdminClient anon = stack_->Client();
  AdminClient waiting = stack_->Client();
  ASSERT_EQ(waiting.Login("waiting", kPassword).status, 200);
  AdminClient oper = stack_->CreateAccount("oper", 100, true);
  for (const Endpoint& e : kEndpoints) {
    if (e.method != "GET") continue;
    SCOPED_TRACE("HEAD " + e.target);
    std::string before = Snapshot();
    HttpReply r = anon.Head(e.target);
    EXPECT_EQ(r.status, 401) << r;
    r = waiting.Head(e.target);
    EXPECT_EQ(r.status, e.route == "/api/v1/auth/me" ? 200 : 403) << r;
    r = oper.Head(e.target);
    EXPECT_EQ(r.status, e.admin_status) << r;
    EXPECT_TRUE(r.body.empty()) << r;
    EXPECT_EQ(Snapshot(), before);
  }
}

TEST_F(AdminApiTest, MutationWithoutOrWithWrongCsrfTokenChangesNothing) {
  stack_->CreateAccount("victim", 100, false);
  for (const std::string& token : {std::string(), std::string("forged-token")}) {
    AdminClient forger = stack_->AdminSession();
    forger.SetCsrfToken(token);
    for (const Endpoint& e : kEndpoints) {
      if (!IsMutating(e.method) || e.open || e.ends_session) continue;
      SCOPED_TRACE(e.method + " " + e.target + " with token '" + token + "'");
      std::string before = Snapshot();
      HttpReply r = Call(forger, e, Target(e));
      EXPECT_EQ(r.status, 403) << r;
      EXPECT_EQ(ErrorCode(r), "csrf_failed") << r;
      EXPECT_EQ(Snapshot(), before);
    }
  }
}

// ---- Bad input ---------------------------------------------------------------------------

// A 404 names what is missing: not_found for a malformed id or route, or the specific
// code of the entity (schemas/openapi/admin.yaml, Error).
constexpr char kAny404[] = "*404";
bool IsNotFoundCode(const std::string& code) {
  return code == "not_found" || code == "unknown_machine" || code == "unknown_product" ||
         code == "unknown_order" || code == "unknown_account" || code == "no_override" ||
         code == "no_image";
}

struct BadCase {
  std::string method;
  std::string target;
  std::string content_type;
  std::string body;
  int status;
  std::string code = "";     // expected error code; "" = any
  std::string mention = "";  // the message must name this (field or parameter)
};

void RunBadCases(AdminClient& client, const std::vector<BadCase>& cases,
                 const std::function<std::string()>& snapshot) {
  for (size_t i = 0; i < cases.size(); ++i) {
    const BadCase& c = cases[i];
    SCOPED_TRACE("case " + std::to_string(i) + ": " + c.method + " " + c.target + " " +
                 c.content_type + " " + c.body.substr(0, 120));
    std::string before = snapshot();
    HttpRequestSpec spec;
    spec.method = c.method;
    spec.target = c.target;
    if (!c.content_type.empty()) spec.headers.emplace_back("Content-Type", c.content_type);
    spec.body = c.body;
    HttpReply r = client.Send(spec);
    Record(c.method, c.target, r);
    EXPECT_EQ(r.status, c.status) << r;
    if (c.code == kAny404) {
      EXPECT_TRUE(IsNotFoundCode(ErrorCode(r))) << r;
    } else if (!c.code.empty()) {
      EXPECT_EQ(ErrorCode(r), c.code) << r;
    }
    if (!c.mention.empty()) {
      EXPECT_NE(ErrorMessage(r).find(c.mention), std::string::npos)
          << "the message should name '" << c.mention << "': " << r;
    }
    EXPECT_EQ(snapshot(), before) << "a refused request changed something";
  }
}

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

std::vector<BadCase> ProductBodyCases(const std::string& method, const std::string& target,
                                      bool create) {
  const std::string name = create ? R"("name":"X",)" : "";
  std::vector<BadCase> v = {
      {method, target, kJson, "{" + name + R"("price":"12"})", 400, "bad_request", "price"},
      {method, target, kJson, "{" + name + R"("price":1e3})", 400, "bad_request", "price"},
      {method, target, kJson, "{" + name + R"("price":1.5})", 400, "bad_request", "price"},
      {method, target, kJson, "{" + name + R"("price":-1})", 400, "bad_request", "price"},
      {method, target, kJson, "{" + name + R"("price":100000001})", 400, "bad_request", "price"},
      {method, target, kJson, "{" + name + R"("price":9223372036854775808})", 400, "bad_request",
       "price"},
      {method, target, kJson, "{" + name + R"("price":-9223372036854775809})", 400, "bad_request",
       "price"},
      {method, target, kJson, "{" + name + R"("price":null})", 400, "bad_request", "price"},
      {method, target, kJson, "{" + name + R"("price":true})", 400, "bad_request", "price"},
      {method, target, kJson, R"({"name":123,"price":1})", 400, "bad_request", "name"},
      {method, target, kJson, R"({"name":"","price":1})", 400, "bad_request", "name"},
      {method, target, kJson, R"({"name":")" + std::string(201, 'a') + R"(","price":1})", 400,
       "bad_request", "name"},
      {method, target, kJson, R"({"name":"a\u0001b","price":1})", 400, "bad_request", "name"},
      // 101 x U+00E9: 101 characters but 202 bytes, over the 200-byte limit.
      {method, target, kJson, R"({"name":")" + Repeat("\xc3\xa9", 101) + R"(","price":1})", 400,
       "bad_request", "name"},
      {method, target, kJson, "{\"name\":\"\xff\xfe\",\"price\":1}", 400, "bad_request"},
      {method, target, kJson, R"({"name":"a\nb","price":1})", 400, "bad_request", "name"},
      {method, target, kJson, "{" + name + R"("price":1,"colour":"red"})", 400, "bad_request",
       "colour"},
      {method, target, kJson, "{" + name + R"("price":1,"is_refundable":"yes"})", 400,
       "bad_request", "is_refundable"},
      {method, target, kJson, "{" + name + R"("price":1,"is_refundable":1})", 400, "bad_request",
       "is_refundable"},
      {method, target, kJson, "{" + name + R"("price":1,"low_stock_threshold":-1})", 400,
       "bad_request", "low_stock_threshold"},
      {method, target, kJson, "{" + name + R"("price":1,"low_stock_threshold":1000001})", 400,
       "bad_request", "low_stock_threshold"},
      {method, target, kJson, "{" + name + R"("price":1,"low_stock_threshold":"3"})", 400,
       "bad_request", "low_stock_threshold"},
      {method, target, kJson, "{" + name + R"("price":1,"removed":true})", 400, "bad_request",
       "removed"},
      {method, target, kJson, "{", 400, "bad_request"},
      {method, target, kJson, "[]", 400, "bad_request"},
      {method, target, kJson, "null", 400, "bad_request"},
      {method, target, kJson, R"("price")", 400, "bad_request"},
      {method, target, kJson, "", 400, "bad_request"},
      {method, target, "text/plain", R"({"name":"X","price":1})", 415},
      {method, target, "application/x-www-form-urlencoded", "name=X&price=1", 415},
  };
  if (create) {
    v.push_back({method, target, kJson, R"({"price":100})", 400, "bad_request", "name"});
    v.push_back({method, target, kJson, R"({"name":"X"})", 400, "bad_request", "price"});
    v.push_back(
        {method, target, kJson, R"({"id":0,"name":"X","price":1})", 400, "bad_request", "id"});
    v.push_back(
        {method, target, kJson, R"({"id":-5,"name":"X","price":1})", 400, "bad_request", "id"});
    v.push_back(
        {method, target, kJson, R"({"id":"7","name":"X","price":1})", 400, "bad_request", "id"});
    v.push_back({method, target, kJson, R"({"id":9223372036854775808,"name":"X","price":1})", 400,
                 "bad_request", "id"});
    v.push_back({method, target, kJson, R"({"id":1,"name":"X","price":1})", 409, "product_exists"});
    v.push_back({method, target, kJson, R"({"id":5,"name":"X","price":1})", 409, "product_exists"});
  } else {
    v.push_back({method, target, kJson, "{}", 400, "bad_request"});
    v.push_back({method, target, kJson, R"({"id":2})", 400, "bad_request", "id"});
    v.push_back({method, target, kJson, R"({"name":null})", 400, "bad_request", "name"});
  }
  return v;
}

TEST_F(AdminApiTest, BadProductBodiesAreRefusedAndChangeNothing) {
  auto snap = [&] { return Snapshot(); };
  RunBadCases(*admin_, ProductBodyCases("POST", "/api/v1/products", true), snap);
  RunBadCases(*admin_, ProductBodyCases("PATCH", "/api/v1/products/1", false), snap);
  // The same body is accepted once it is right: the refusals were for the input.
  HttpReply ok = admin_->PatchJson("/api/v1/products/1", R"({"price":151})");
  EXPECT_EQ(ok.status, 200) << ok;
}

TEST_F(AdminApiTest, BadStockAndPriceBodiesAreRefusedAndChangeNothing) {
  const std::string stock = "/api/v1/machines/M-1/stock";
  const std::string price = "/api/v1/machines/M-1/prices/1";
  std::vector<BadCase> cases = {
      {"POST", stock, kJson, R"({"product_id":1})", 400, "bad_request"},
      {"POST", stock, kJson, R"({"product_id":1,"set":1,"add":1})", 400, "bad_request"},
      {"POST", stock, kJson, R"({"set":1})", 400, "bad_request", "product_id"},
      {"POST", stock, kJson, R"({"product_id":1,"set":-1})", 400, "bad_request", "set"},
      {"POST", stock, kJson, R"({"product_id":1,"set":1000001})", 400, "bad_request", "set"},
      {"POST", stock, kJson, R"({"product_id":1,"set":"12"})", 400, "bad_request", "set"},
      {"POST", stock, kJson, R"({"product_id":1,"set":1e3})", 400, "bad_request", "set"},
      {"POST", stock, kJson, R"({"product_id":1,"set":9223372036854775808})", 400, "bad_request",
       "set"},
      {"POST", stock, kJson, R"({"product_id":1,"add":0})", 400, "bad_request", "add"},
      {"POST", stock, kJson, R"({"product_id":1,"add":1000001})", 400, "bad_request", "add"},
      {"POST", stock, kJson, R"({"product_id":1,"add":-1000001})", 400, "bad_request", "add"},
      {"POST", stock, kJson, R"({"product_id":1,"add":-9223372036854775809})", 400, "bad_request",
       "add"},
      {"POST", stock, kJson, R"({"product_id":"1","set":1})", 400, "bad_request", "product_id"},
      {"POST", stock, kJson, R"({"product_id":-1,"set":1})", 400, "bad_request", "product_id"},
      {"POST", stock, kJson, R"({"product_id":1,"set":1,"force":true})", 400, "bad_request",
       "force"},
      {"POST", stock, "text/plain", R"({"product_id":1,"set":1})", 415},
      {"POST", stock, kJson, "{", 400, "bad_request"},
      {"POST", "/api/v1/machines/NOPE/stock", kJson, R"({"product_id":1,"set":1})", 404, kAny404},
      {"POST", "/api/v1/machines/%27%3B%20DROP%20TABLE%20orders%3B%20--/stock", kJson,
       R"({"product_id":1,"set":1})", 404, kAny404},
      {"PUT", price, kJson, R"({"price":-1})", 400, "bad_request", "price"},
      {"PUT", price, kJson, R"({"price":100000001})", 400, "bad_request", "price"},
      {"PUT", price, kJson, R"({"price":"150"})", 400, "bad_request", "price"},
      {"PUT", price, kJson, R"({"price":1.5})", 400, "bad_request", "price"},
      {"PUT", price, kJson, R"({"price":1e3})", 400, "bad_request", "price"},
      {"PUT", price, kJson, R"({"price":9223372036854775808})", 400, "bad_request", "price"},
      {"PUT", price, kJson, R"({})", 400, "bad_request", "price"},
      {"PUT", price, kJson, R"({"price":150,"currency":"EUR"})", 400, "bad_request", "currency"},
      {"PUT", price, "text/plain", R"({"price":150})", 415},
      {"PUT", "/api/v1/machines/M-1/prices/abc", kJson, R"({"price":150})", 404, kAny404},
      {"PUT", "/api/v1/machines/M-1/prices/0", kJson, R"({"price":150})", 404, kAny404},
      {"PUT", "/api/v1/machines/M-1/prices/-1", kJson, R"({"price":150})", 404, kAny404},
      {"PUT", "/api/v1/machines/M-1/prices/99999", kJson, R"({"price":150})", 404, kAny404},
      {"PUT", "/api/v1/machines/M-1/prices/9223372036854775808", kJson, R"({"price":150})", 404,
       kAny404},
      {"PUT", "/api/v1/machines/NOPE/prices/1", kJson, R"({"price":150})", 404, kAny404},
      {"DELETE", "/api/v1/machines/M-1/prices/2", "", "", 404, kAny404},
      {"DELETE", "/api/v1/machines/M-1/prices/abc", "", "", 404, kAny404},
      {"DELETE", "/api/v1/machines/NOPE/prices/1", "", "", 404, kAny404},
  };
  RunBadCases(*admin_, cases, [&] { return Snapshot(); });
  HttpReply ok = admin_->PostJson(stock, R"({"product_id":1,"add":-2})");
  EXPECT_EQ(ok.status, 202) << ok;
  ok = admin_->PutJson(price, R"({"price":0})");
  EXPECT_EQ(ok.status, 202) << ok;
}

TEST_F(AdminApiTest, BadPathIdsAreNotFoundAndChangeNothing) {
  std::vector<BadCase> cases;
  for (const std::string id : {"abc", "0", "-1", "01", "1.0", "99999", "9223372036854775808",
                               "%27%3B%20DROP%20TABLE%20orders%3B%20--"}) {
    cases.push_back({"GET", "/api/v1/products/" + id, "", "", 404, kAny404});
    cases.push_back({"PATCH", "/api/v1/products/" + id, kJson, R"({"price":1})", 404, kAny404});
    cases.push_back({"DELETE", "/api/v1/products/" + id, "", "", 404, kAny404});
    cases.push_back({"PUT", "/api/v1/products/" + id + "/image", "image/png", kPng, 404, kAny404});
    cases.push_back(
        {"PATCH", "/api/v1/accounts/" + id, kJson, R"({"approved":true})", 404, kAny404});
  }
  for (const std::string& id :
       std::vector<std::string>{"NOPE", "%27%3B%20DROP%20TABLE%20orders%3B%20--",
                                std::string(65, 'a'), "M%2F1", "M-1%00"}) {
    cases.push_back({"GET", "/api/v1/machines/" + id, "", "", 404, kAny404});
    cases.push_back({"GET", "/api/v1/machines/" + id + "/telemetry", "", "", 404, kAny404});
    cases.push_back({"GET", "/api/v1/machines/" + id + "/sales", "", "", 404, kAny404});
    cases.push_back({"GET", "/api/v1/machines/" + id + "/balances", "", "", 404, kAny404});
  }
  for (const std::string uuid : {"not-a-uuid", "01a218f1-8b28-726a-82e1-82a491c0b4ce",
                                 "%27%3B%20DROP%20TABLE%20orders%3B%20--"}) {
    cases.push_back({"GET", "/api/v1/orders/" + uuid, "", "", 404, kAny404});
  }
  cases.push_back({"GET", "/api/v1/products/2/image", "", "", 404, kAny404});
  RunBadCases(*admin_, cases, [&] { return Snapshot(); });
}

TEST_F(AdminApiTest, BadQueryParametersAre400NamingTheParameter) {
  std::vector<BadCase> cases;
  for (const std::string base : {"/api/v1/orders", "/api/v1/audit"}) {
    for (const std::string v : {"0", "201", "abc", "-1", "1e3", "9223372036854775808", ""}) {
      cases.push_back({"GET", base + "?limit=" + v, "", "", 400, "bad_request", "limit"});
    }
    cases.push_back({"GET", base + "?cursor=garbage", "", "", 400, "bad_request", "cursor"});
    cases.push_back({"GET", base + "?cursor=%27%3B%20DROP%20TABLE%20orders%3B%20--", "", "", 400,
                     "bad_request", "cursor"});
  }
  for (const std::string base : {"/api/v1/orders", "/api/v1/orders.csv"}) {
    cases.push_back({"GET", base + "?from=yesterday", "", "", 400, "bad_request", "from"});
    cases.push_back({"GET", base + "?to=2026-13-45T99:00:00Z", "", "", 400, "bad_request", "to"});
    cases.push_back({"GET", base + "?status=foo", "", "", 400, "bad_request", "status"});
    cases.push_back({"GET", base + "?product=abc", "", "", 400, "bad_request", "product"});
    cases.push_back({"GET", base + "?product=-1", "", "", 400, "bad_request", "product"});
    cases.push_back({"GET", base + "?machine=%27%3B%20DROP%20TABLE%20orders%3B%20--", "", "", 400,
                     "bad_request", "machine"});
  }
  cases.push_back({"GET", "/api/v1/accounts?status=foo", "", "", 400, "bad_request", "status"});
  for (const std::string v : {"0", "91", "abc", "-1", "1.5"}) {
    cases.push_back(
        {"GET", "/api/v1/machines/M-1/sales?days=" + v, "", "", 400, "bad_request", "days"});
  }
  cases.push_back(
      {"GET", "/api/v1/machines/M-1/telemetry?from=yesterday", "", "", 400, "bad_request", "from"});
  cases.push_back(
      {"GET", "/api/v1/machines/M-1/telemetry?to=soon", "", "", 400, "bad_request", "to"});
  cases.push_back({"GET", "/api/v1/products?include_removed=maybe", "", "", 400, "bad_request",
                   "include_removed"});
  cases.push_back({"GET", "/api/v1/alerts?machine=%27%3B%20DROP%20TABLE%20orders%3B%20--", "", "",
                   400, "bad_request", "machine"});
  RunBadCases(*admin_, cases, [&] { return Snapshot(); });
}

TEST_F(AdminApiTest, BadImagesAreRefusedAndChangeNothing) {
  const std::string t = "/api/v1/products/2/image";
  std::string big_png = kPng + std::string((1 << 20) + 1 - kPng.size(), '\0');
  std::vector<BadCase> cases = {
      {"PUT", t, "image/png", kJpeg, 400, "bad_image"},
      {"PUT", t, "image/jpeg", kPng, 400, "bad_image"},
      {"PUT", t, "image/gif", kPng, 400, "bad_image"},
      {"PUT", t, "image/webp", kPng, 400, "bad_image"},
      {"PUT", t, "image/png", "", 400, "bad_image"},
      {"PUT", t, "image/png", "just some text, not a picture", 400, "bad_image"},
      {"PUT", t, "text/plain", "just some text, not a picture", 415, "unsupported_image"},
      {"PUT", t, "image/svg+xml",
       R"(<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>)", 415,
       "unsupported_image"},
      {"PUT", t, "application/octet-stream", kPng, 415, "unsupported_image"},
      {"PUT", t, "", kPng, 415, "unsupported_image"},
      {"PUT", t, "image/png", big_png, 413, "payload_too_large"},
      {"PUT", "/api/v1/products/99999/image", "image/png", kPng, 404, kAny404},
  };
  RunBadCases(*admin_, cases, [&] { return Snapshot(); });
  // A real JPEG is taken and served back byte for byte.
  HttpReply ok = admin_->Put(t, "image/jpeg", kJpeg);
  ASSERT_EQ(ok.status, 200) << ok;
  HttpReply back = admin_->Get(t);
  EXPECT_EQ(back.status, 200) << back;
  EXPECT_EQ(back.Header("Content-Type"), "image/jpeg");
  EXPECT_EQ(back.body, kJpeg);
}

TEST_F(AdminApiTest, OversizedBodiesAre413AndChangeNothing) {
  std::string json_64k = R"({"name":")" + std::string(70000, 'a') + R"(","price":1})";
  std::string body_3m(3 << 20, 'x');
  std::vector<BadCase> cases = {
      {"POST", "/api/v1/products", kJson, json_64k, 413, "payload_too_large"},
      {"PATCH", "/api/v1/products/1", kJson, json_64k, 413, "payload_too_large"},
      {"POST", "/api/v1/machines/M-1/stock", kJson, json_64k, 413, "payload_too_large"},
      {"POST", "/api/v1/products", kJson, body_3m, 413, "payload_too_large"},
      {"PUT", "/api/v1/products/2/image", "image/png", kPng + body_3m, 413, "payload_too_large"},
  };
  RunBadCases(*admin_, cases, [&] { return Snapshot(); });
  AdminClient anon = stack_->Client();
  RunBadCases(anon,
              {{"POST", "/api/v1/auth/register", kJson, json_64k, 413, "payload_too_large"},
               {"POST", "/api/v1/auth/login", kJson, body_3m, 413, "payload_too_large"}},
              [&] { return Snapshot(); });
}

TEST_F(AdminApiTest, DeeplyNestedJsonIsRefusedAndTheServerSurvives) {
  // 30,000 levels fit in the 64 KiB limit; a recursive parser or destructor would
  // overflow its stack. Login takes JSON from anyone.
  const std::string deep = std::string(30000, '[') + std::string(30000, ']');
  const std::string unclosed = std::string(60000, '[');
  const std::string in_field = R"({"name":)" + deep + R"(,"price":1})";
  AdminClient anon = stack_->Client();
  RunBadCases(anon,
              {{"POST", "/api/v1/auth/login", kJson, deep, 400, "bad_request"},
               {"POST", "/api/v1/auth/register", kJson, unclosed, 400, "bad_request"}},
              [&] { return Snapshot(); });
  RunBadCases(*admin_,
              {{"POST", "/api/v1/products", kJson, in_field, 400, "bad_request"},
               {"PATCH", "/api/v1/products/1", kJson, deep, 400, "bad_request"}},
              [&] { return Snapshot(); });
  HttpReply r = admin_->Get("/api/v1/products/1");
  EXPECT_EQ(r.status, 200) << r;
}

TEST_F(AdminApiTest, BadAccountBodiesAreRefusedAndChangeNothing) {
  stack_->CreateAccount("victim", 100, false);
  const std::string v = "/api/v1/accounts/" + std::to_string(AccountId("victim"));
  const std::string self = "/api/v1/accounts/" + std::to_string(AccountId("root-admin"));
  std::vector<BadCase> cases = {
      {"PATCH", v, kJson, R"({"role":200})", 400, "bad_request", "role"},
      {"PATCH", v, kJson, R"({"role":"300"})", 400, "bad_request", "role"},
      {"PATCH", v, kJson, R"({"role":300.0})", 400, "bad_request", "role"},
      {"PATCH", v, kJson, R"({"approved":"yes"})", 400, "bad_request", "approved"},
      {"PATCH", v, kJson, R"({"approved":1})", 400, "bad_request", "approved"},
      {"PATCH", v, kJson, R"({"approved":true,"username":"evil"})", 400, "bad_request", "username"},
      {"PATCH", v, kJson, "{}", 400, "bad_request"},
      {"PATCH", v, "text/plain", R"({"approved":true})", 415},
      {"PATCH", self, kJson, R"({"role":100})", 409, "self_change"},
      {"PATCH", self, kJson, R"({"approved":false})", 409, "self_change"},
  };
  RunBadCases(*admin_, cases, [&] { return Snapshot(); });

  AdminClient anon = stack_->Client();
  const std::string reg = "/api/v1/auth/register";
  auto body = [](const std::string& u, const std::string& e, const std::string& p) {
    return "{\"username\":" + u + ",\"email\":" + e + ",\"password\":" + p + "}";
  };
  const std::string u = "\"fresh_user\"", e = "\"fresh@example.test\"", p = "\"long-password-1\"";
  std::vector<BadCase> reg_cases = {
      {"POST", reg, kJson, body("\"ab\"", e, p), 400, "bad_request", "username"},
      {"POST", reg, kJson, body("\"" + std::string(33, 'a') + "\"", e, p), 400, "bad_request",
       "username"},
      {"POST", reg, kJson, body("\"bad name!\"", e, p), 400, "bad_request", "username"},
      {"POST", reg, kJson, body(JsonQuote("'; DROP TABLE orders; --"), e, p), 400, "bad_request",
       "username"},
      {"POST", reg, kJson, body("12345", e, p), 400, "bad_request", "username"},
      {"POST", reg, kJson, body(u, "\"no-at-sign\"", p), 400, "bad_request", "email"},
      {"POST", reg, kJson, body(u, "\"a@b@c\"", p), 400, "bad_request", "email"},
      {"POST", reg, kJson, body(u, "\"a b@c.io\"", p), 400, "bad_request", "email"},
      {"POST", reg, kJson, body(u, "\"" + std::string(250, 'a') + "@x.io\"", p), 400, "bad_request",
       "email"},
      {"POST", reg, kJson, body(u, e, "\"short-pw1\""), 400, "bad_request", "password"},
      {"POST", reg, kJson, body(u, e, "\"" + std::string(129, 'p') + "\""), 400, "bad_request",
       "password"},
      {"POST", reg, kJson, body(u, e, "1234567890123"), 400, "bad_request", "password"},
      {"POST", reg, kJson, R"({"username":"fresh_user","email":"fresh@example.test"})", 400,
       "bad_request", "password"},
      {"POST", reg, kJson,
       R"({"username":"fresh_user","email":"fresh@example.test","password":"long-password-1","role":300})",
       400, "bad_request", "role"},
      {"POST", reg, kJson,
       R"({"username":"fresh_user","email":"fresh@example.test","password":"long-password-1","approved":true})",
       400, "bad_request", "approved"},
      {"POST", reg, kJson, body("\"VICTIM\"", e, p), 409, "username_taken"},
      {"POST", reg, kJson, body(u, "\"VICTIM@example.test\"", p), 409, "email_taken"},
      {"POST", reg, "text/plain", body(u, e, p), 415},
      {"POST", reg, "application/x-www-form-urlencoded",
       "username=fresh_user&email=fresh%40example.test&password=long-password-1", 415},
      {"POST", "/api/v1/auth/login", "text/plain",
       R"({"username":"root-admin","password":"root-password-1"})", 415},
      {"POST", "/api/v1/auth/login", kJson, R"({"username":"root-admin","password":12})", 400,
       "bad_request", "password"},
  };
  RunBadCases(anon, reg_cases, [&] { return Snapshot(); });
}

TEST_F(AdminApiTest, InjectionLookingTextIsStoredVerbatim) {
  const std::string evil = "'; DROP TABLE orders; --";
  HttpReply r =
      admin_->PostJson("/api/v1/products", R"({"name":)" + JsonQuote(evil) + R"(,"price":100})");
  ASSERT_EQ(r.status, 201) << r;
  auto j = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r;
  EXPECT_EQ(j["product"]["name"], evil);
  int64_t id = j["product"]["id"].get<int64_t>();
  EXPECT_EQ(stack_->QueryText("SELECT name FROM products WHERE id = " + std::to_string(id)), evil);
  EXPECT_EQ(stack_->QueryInt("SELECT count(*) FROM orders"), 1) << "orders survived";

  r = admin_->PatchJson("/api/v1/products/2", R"({"name":"Robert'); DROP TABLE products;--"})");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(stack_->QueryText("SELECT name FROM products WHERE id = 2"),
            "Robert'); DROP TABLE products;--");

  r = admin_->Get("/api/v1/orders?customer=" + UrlEncode(evil));
  ASSERT_EQ(r.status, 200) << r;
  j = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r;
  EXPECT_TRUE(j["orders"].empty()) << r;
  EXPECT_EQ(stack_->QueryInt("SELECT count(*) FROM orders"), 1);

  r = admin_->Get("/api/v1/audit?actor=" + UrlEncode(evil));
  EXPECT_EQ(r.status, 200) << r;
}

TEST_F(AdminApiTest, CsvExportDefusesFormulaCells) {
  stack_->Exec(R"SQL(
    INSERT INTO orders (machine_id, order_id, uuid, customer_id, user_name, product_id, price,
                        status, created_at)
      VALUES ('M-1', 2, '5d1c7a52-0d0e-4a7e-9a59-3f0c7e1f2a10', 1,
              '=HYPERLINK("http://evil.example","x")', 1, 150, 'paid', now());
    UPDATE products SET name = '@SUM(A1:A9)' WHERE id = 1;
  )SQL");
  HttpReply r = admin_->Get("/api/v1/orders.csv?machine=M-1");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.Header("Content-Type").rfind("text/csv", 0), 0u) << r;
  EXPECT_NE(r.Header("Content-Disposition").find("attachment; filename=\"orders-"),
            std::string::npos)
      << r;
  EXPECT_EQ(r.body.rfind("uuid,machine,order_id,created_at,customer_id,user_name,product_id,"
                         "product_name,price_cents,status,refunded_at,refund_cents",
                         0),
            0u)
      << r;
  EXPECT_NE(r.body.find("'=HYPERLINK"), std::string::npos) << r;
  EXPECT_NE(r.body.find("'@SUM(A1:A9)"), std::string::npos) << r;
  EXPECT_EQ(r.body.find(",=HYPERLINK"), std::string::npos) << r;
  EXPECT_EQ(r.body.find(",@SUM"), std::string::npos) << r;
}

}  // namespace
}  // namespace vend::test_support
