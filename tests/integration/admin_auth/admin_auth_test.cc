// The admin API's authentication and authorization, end to end: vend-cloud serve with
// its own broker and database, spoken to over HTTP like a browser (cookie jar + CSRF
// header), and the database read behind its back.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/admin_stack.h"

namespace vend::test_support {
namespace {

using nlohmann::json;

std::string good() { return "a-long-password"; }

json Body(const HttpReply& r) { return json::parse(r.body, nullptr, false); }
std::string Code(const HttpReply& r) {
  auto j = Body(r);
  if (!j.is_object() || !j.contains("error")) return "";
  return j["error"].value("code", "");
}
std::string Message(const HttpReply& r) {
  auto j = Body(r);
  if (!j.is_object() || !j.contains("error")) return "";
  return j["error"].value("message", "");
}

// One stack for the suite: the tests use their own account names, and the address limit
// is raised so their wrong passwords do not add up to a 429 for each other.
class AdminAuth : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    AdminStackOptions o;
    o.extra_args = {"--login-max-address-failures", "1000"};
    stack_ = new AdminStack(o);
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  AdminStack& stack() { return *stack_; }
  int64_t Accounts(const std::string& where) {
    return stack().QueryInt("SELECT count(*) FROM accounts WHERE " + where);
  }
  static AdminStack* stack_;
};
AdminStack* AdminAuth::stack_ = nullptr;

TEST_F(AdminAuth, RegisterCreatesAnUnapprovedOperator) {
  auto c = stack().Client();
  auto r = c.Register("reg-ok", "reg-ok@example.test", "a-long-password");
  ASSERT_EQ(r.status, 201) << r;
  auto a = Body(r)["account"];
  EXPECT_EQ(a["username"], "reg-ok");
  EXPECT_EQ(a["email"], "reg-ok@example.test");
  EXPECT_EQ(a["role"], 100);
  EXPECT_EQ(a["approved"], false);
  EXPECT_GT(a["id"].get<int64_t>(), 0);
  EXPECT_EQ(a["created_at"].get<std::string>().back(), 'Z');
  EXPECT_FALSE(a.contains("password_hash"));
  EXPECT_EQ(stack().QueryText("SELECT left(password_hash, 10) FROM accounts "
                              "WHERE username = 'reg-ok'"),
            "$argon2id$");
}

TEST_F(AdminAuth, RegisterRejectsBadInputAndChangesNothing) {
  auto c = stack().Client();
  const std::string good_pw = "a-long-password";
  struct Case {
    std::string body;
    std::string mentions;
  };
  const Case cases[] = {
      {R"({"username":"ab","email":"ab@x.io","password":"a-long-password"})", "username"},
      {R"({"username":"bad name","email":"b@x.io","password":"a-long-password"})", "username"},
      {R"({"username":"bad'--","email":"b@x.io","password":"a-long-password"})", "username"},
      {R"({"username":"badinput1","email":"no-at-sign","password":"a-long-password"})", "email"},
      {R"({"username":"badinput1","email":"b@x.io","password":"short"})", "password"},
      {R"({"username":"badinput1","email":"b@x.io","password":")" + std::string(129, 'p') + R"("})",
       "password"},
      {R"({"username":"badinput1","email":"b@x.io","password":"a-long-password","role":300})",
       "role"},
      {R"({"username":"badinput1","email":"b@x.io","password":"a-long-password","approved":true})",
       "approved"},
      {R"({"username":42,"email":"b@x.io","password":"a-long-password"})", "username"},
      {R"({"username":"badinput1","email":"b@x.io"})", "password"},
      {R"(["badinput1"])", "body"},
      {R"({"username":"badinput1",)", "body"},
  };
  for (const auto& k : cases) {
    auto r = c.PostJson("/api/v1/auth/register", k.body);
    EXPECT_EQ(r.status, 400) << k.body << " -> " << r;
    EXPECT_NE(Message(r).find(k.mentions), std::string::npos) << k.body << " -> " << r;
  }
  auto wrong_type =
      c.Post("/api/v1/auth/register", "text/plain",
             R"({"username":"badinput1","email":"b@x.io","password":"pw-0123456789"})");
  EXPECT_EQ(wrong_type.status, 415) << wrong_type;
  auto form = c.Post("/api/v1/auth/register", "application/x-www-form-urlencoded",
                     "username=badinput1&email=b%40x.io&password=pw-0123456789");
  EXPECT_EQ(form.status, 415) << form;
  auto big = c.PostJson("/api/v1/auth/register",
                        R"({"username":"badinput1","email":"b@x.io","password":")" +
                            std::string(70 * 1024, 'p') + R"("})");
  EXPECT_EQ(big.status, 413) << big;
  EXPECT_EQ(Code(big), "payload_too_large");
  EXPECT_EQ(Accounts("username IN ('ab', 'badinput1', 'bad name', 'bad''--')"), 0);
}

TEST_F(AdminAuth, RegisterRefusesTakenNamesAndAddressesRegardlessOfCase) {
  auto c = stack().Client();
  ASSERT_EQ(c.Register("dup-ann", "dup-ann@example.test", good()).status, 201);
  auto same_name = c.Register("DUP-Ann", "other@example.test", good());
  EXPECT_EQ(same_name.status, 409) << same_name;
  EXPECT_EQ(Code(same_name), "username_taken");
  auto same_email = c.Register("dup-bob", "DUP-ANN@example.test", good());
  EXPECT_EQ(same_email.status, 409) << same_email;
  EXPECT_EQ(Code(same_email), "email_taken");
  EXPECT_EQ(Accounts("lower(username) LIKE 'dup-%'"), 1);
}

TEST_F(AdminAuth, WrongPasswordAndUnknownUserGetTheSameAnswer) {
  auto c = stack().Client();
  ASSERT_EQ(c.Register("login-ann", "login-ann@example.test", good()).status, 201);
  auto wrong = c.Login("login-ann", "not-the-password");
  auto unknown = c.Login("login-nobody", "not-the-password");
  EXPECT_EQ(wrong.status, 401) << wrong;
  EXPECT_EQ(unknown.status, 401) << unknown;
  EXPECT_EQ(Code(wrong), "bad_credentials");
  EXPECT_EQ(wrong.body, unknown.body);
  EXPECT_EQ(wrong.Header("set-cookie"), "");
  EXPECT_EQ(c.Login("login-ann", good()).status, 200);
  EXPECT_EQ(stack().QueryInt("SELECT count(*) FROM login_attempts WHERE "
                             "lower(username) IN ('login-ann', 'login-nobody') AND NOT ok"),
            2);
}

TEST_F(AdminAuth, LoginSetsAStrictHttpOnlyCookieAndStoresOnlyItsDigest) {
  auto c = stack().Client();
  auto r = c.Login(stack().options().admin_username, stack().options().admin_password);
  ASSERT_EQ(r.status, 200) << r;
  const std::string set = r.Header("set-cookie");
  EXPECT_EQ(set.rfind("vf_session=", 0), 0u) << set;
  EXPECT_NE(set.find("; HttpOnly"), std::string::npos) << set;
  EXPECT_NE(set.find("; SameSite=Strict"), std::string::npos) << set;
  EXPECT_NE(set.find("; Path=/"), std::string::npos) << set;
  EXPECT_NE(set.find("; Max-Age=43200"), std::string::npos) << set;
  EXPECT_EQ(set.find("Secure"), std::string::npos) << set;
  const std::string token = c.Cookie("vf_session");
  EXPECT_EQ(token.size(), 43u);
  EXPECT_EQ(Body(r)["account"]["role"], 300);
  EXPECT_EQ(Body(r)["csrf_token"], c.csrf_token());
  EXPECT_FALSE(c.csrf_token().empty());
  EXPECT_EQ(stack().QueryInt("SELECT count(*) FROM sessions WHERE token_hash = sha256('" + token +
                             "'::bytea)"),
            1);
  EXPECT_EQ(stack().QueryInt("SELECT count(*) FROM sessions WHERE position('" + token +
                             "' IN encode(token_hash, 'escape') || csrf_token) > 0"),
            0);
  EXPECT_GE(stack().Metric("vend_cloud_logins_total", "outcome=\"ok\""), 1);
}

TEST_F(AdminAuth, MeAnswersWithTheAccountAndItsCsrfToken) {
  auto c = stack().AdminSession();
  const std::string csrf = c.csrf_token();
  auto me = c.Me();
  ASSERT_EQ(me.status, 200) << me;
  EXPECT_EQ(Body(me)["account"]["username"], stack().options().admin_username);
  EXPECT_EQ(Body(me)["csrf_token"], csrf);
  EXPECT_FALSE(me.Header("x-request-id").empty());
}

TEST_F(AdminAuth, AnonymousGets401EverywhereButTheOpenRoutes) {
  auto c = stack().Client();
  for (const char* target : {"/api/v1/auth/me", "/api/v1/accounts", "/api/v1/audit",
                             "/api/v1/machines", "/api/v1/no-such-route", "/api/v2/x"}) {
    auto r = c.Get(target);
    EXPECT_EQ(r.status, 401) << target << " -> " << r;
    EXPECT_EQ(Code(r), "unauthenticated") << target;
    EXPECT_FALSE(r.Header("x-request-id").empty());
  }
  auto patch = c.PatchJson("/api/v1/accounts/1", R"({"approved":false})");
  EXPECT_EQ(patch.status, 401) << patch;
  auto logout = c.Logout();
  EXPECT_EQ(logout.status, 204) << logout;
  // Signed in, the same unknown route is a 404 and a wrong method a 405.
  auto admin = stack().AdminSession();
  auto unknown = admin.Get("/api/v1/no-such-route");
  EXPECT_EQ(unknown.status, 404) << unknown;
  auto get_login = admin.Get("/api/v1/auth/login");
  EXPECT_EQ(get_login.status, 405) << get_login;
  EXPECT_EQ(get_login.Header("allow"), "POST");
}

TEST_F(AdminAuth, ForgedCookiesAreAnonymous) {
  auto c = stack().Client();
  c.SetCookie("vf_session", std::string(43, 'A'));
  EXPECT_EQ(c.Get("/api/v1/auth/me").status, 401);
  c.SetCookie("vf_session", "x' OR '1'='1");
  EXPECT_EQ(c.Get("/api/v1/auth/me").status, 401);
}

TEST_F(AdminAuth, CsrfTokenIsRequiredForChanges) {
  auto target = stack().Client();
  auto reg = target.Register("csrf-target", "csrf-target@example.test", good());
  ASSERT_EQ(reg.status, 201);
  const std::string path =
      "/api/v1/accounts/" + std::to_string(Body(reg)["account"]["id"].get<int64_t>());
  auto admin = stack().AdminSession();
  auto other = stack().AdminSession();  // a second session of the same account
  const std::string good_token = admin.csrf_token();
  ASSERT_NE(good_token, other.csrf_token());

  admin.SetCsrfToken("");
  auto missing = admin.PatchJson(path, R"({"approved":true})");
  EXPECT_EQ(missing.status, 403) << missing;
  EXPECT_EQ(Code(missing), "csrf_failed");
  admin.SetCsrfToken(good_token + "x");
  EXPECT_EQ(Code(admin.PatchJson(path, R"({"approved":true})")), "csrf_failed");
  admin.SetCsrfToken(other.csrf_token());
  EXPECT_EQ(Code(admin.PatchJson(path, R"({"approved":true})")), "csrf_failed");
  EXPECT_EQ(Accounts("username = 'csrf-target' AND approved"), 0);
  EXPECT_EQ(stack().QueryInt("SELECT count(*) FROM audit_log WHERE target LIKE '%csrf-target%'"),
            0);

  admin.SetCsrfToken(good_token);
  auto ok = admin.PatchJson(path, R"({"approved":true})");
  EXPECT_EQ(ok.status, 200) << ok;
  EXPECT_EQ(Accounts("username = 'csrf-target' AND approved"), 1);
}

TEST_F(AdminAuth, LogoutEndsTheSessionOnTheServer) {
  auto c = stack().AdminSession();
  const std::string token = c.Cookie("vf_session");
  auto out = c.Logout();
  EXPECT_EQ(out.status, 204) << out;
  EXPECT_NE(out.Header("set-cookie").find("Max-Age=0"), std::string::npos) << out;
  EXPECT_EQ(c.Cookie("vf_session"), "");
  EXPECT_EQ(stack().QueryInt("SELECT count(*) FROM sessions WHERE token_hash = sha256('" + token +
                             "'::bytea)"),
            0);
  // A client that kept the old cookie is not signed in any more.
  auto replay = stack().Client();
  replay.SetCookie("vf_session", token);
  auto me = replay.Get("/api/v1/auth/me");
  EXPECT_EQ(me.status, 401) << me;
}

TEST_F(AdminAuth, LogoutNeedsTheCsrfTokenWhenSignedIn) {
  auto c = stack().AdminSession();
  const std::string token = c.csrf_token();
  c.SetCsrfToken("");
  EXPECT_EQ(c.Logout().status, 403);
  EXPECT_EQ(c.Me().status, 200);
  c.SetCsrfToken(token);
  EXPECT_EQ(c.Logout().status, 204);
}

TEST_F(AdminAuth, ExpiredSessionIsNoSession) {
  auto c = stack().CreateAccount("expiring", 100);
  ASSERT_EQ(c.Me().status, 200);
  stack().Exec(
      "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE account_id = "
      "(SELECT id FROM accounts WHERE username = 'expiring')");
  auto me = c.Me();
  EXPECT_EQ(me.status, 401) << me;
  EXPECT_EQ(Code(me), "unauthenticated");
  // Deleted lazily when it was presented.
  EXPECT_EQ(stack().QueryInt("SELECT count(*) FROM sessions WHERE account_id = "
                             "(SELECT id FROM accounts WHERE username = 'expiring')"),
            0);
}

TEST_F(AdminAuth, UnapprovedAccountSeesOnlyItself) {
  auto c = stack().Client();
  auto reg = c.Register("waiting", "waiting@example.test", good());
  ASSERT_EQ(reg.status, 201);
  const int64_t id = Body(reg)["account"]["id"];
  ASSERT_EQ(c.Login("waiting", good()).status, 200);
  auto me = c.Me();
  ASSERT_EQ(me.status, 200) << me;
  EXPECT_EQ(Body(me)["account"]["approved"], false);
  for (const char* target : {"/api/v1/machines", "/api/v1/accounts", "/api/v1/audit"}) {
    auto r = c.Get(target);
    EXPECT_EQ(r.status, 403) << target << " -> " << r;
    EXPECT_EQ(Code(r), "not_approved") << target;
  }
  EXPECT_EQ(Code(c.PatchJson("/api/v1/accounts/" + std::to_string(id), R"({"role":300})")),
            "not_approved");

  auto admin = stack().AdminSession();
  auto pending = admin.Get("/api/v1/accounts?status=pending");
  ASSERT_EQ(pending.status, 200) << pending;
  bool listed = false;
  const json accounts = Body(pending)["accounts"];
  for (const auto& a : accounts) listed |= a["username"] == "waiting";
  EXPECT_TRUE(listed);
  auto approve = admin.PatchJson("/api/v1/accounts/" + std::to_string(id), R"({"approved":true})");
  ASSERT_EQ(approve.status, 200) << approve;
  EXPECT_EQ(Body(approve)["account"]["approved"], true);
  // The same session now has access.
  auto machines = c.Get("/api/v1/machines");
  EXPECT_EQ(machines.status, 200) << machines;
  EXPECT_EQ(c.Get("/api/v1/accounts").status, 200);
}

TEST_F(AdminAuth, OperatorReadsButCannotChangeAccounts) {
  auto op = stack().CreateAccount("operator-1", 100);
  auto list = op.Get("/api/v1/accounts");
  EXPECT_EQ(list.status, 200) << list;
  auto patch = op.PatchJson("/api/v1/accounts/1", R"({"approved":false})");
  EXPECT_EQ(patch.status, 403) << patch;
  EXPECT_EQ(Code(patch), "forbidden");
  EXPECT_EQ(Message(patch), "admin role required");
  EXPECT_EQ(Accounts("username = '" + stack().options().admin_username + "' AND approved"), 1);
}

TEST_F(AdminAuth, AdminCannotChangeTheirOwnRoleOrApproval) {
  auto admin = stack().AdminSession();
  const int64_t self = Body(admin.Me())["account"]["id"];
  for (const char* body : {R"({"role":100})", R"({"approved":false})"}) {
    auto r = admin.PatchJson("/api/v1/accounts/" + std::to_string(self), body);
    EXPECT_EQ(r.status, 409) << r;
    EXPECT_EQ(Code(r), "self_change");
  }
  EXPECT_EQ(Accounts("id = " + std::to_string(self) + " AND role = 300 AND approved"), 1);
}

TEST_F(AdminAuth, PatchAccountValidatesItsInput) {
  auto admin = stack().AdminSession();
  auto reg = stack().Client().Register("patch-target", "patch-target@example.test", good());
  ASSERT_EQ(reg.status, 201);
  const std::string path =
      "/api/v1/accounts/" + std::to_string(Body(reg)["account"]["id"].get<int64_t>());
  EXPECT_EQ(admin.PatchJson(path, R"({"role":200})").status, 400);
  EXPECT_EQ(admin.PatchJson(path, R"({"role":"300"})").status, 400);
  EXPECT_EQ(admin.PatchJson(path, R"({"approved":1})").status, 400);
  EXPECT_EQ(admin.PatchJson(path, R"({})").status, 400);
  auto unknown = admin.PatchJson(path, R"({"approved":true,"username":"x"})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(Message(unknown).find("username"), std::string::npos) << unknown;
  EXPECT_EQ(admin.PatchJson("/api/v1/accounts/999999", R"({"approved":true})").status, 404);
  EXPECT_EQ(admin.PatchJson("/api/v1/accounts/abc", R"({"approved":true})").status, 404);
  EXPECT_EQ(admin.Put(path, "text/plain", "x").status, 405);
  EXPECT_EQ(Accounts("username = 'patch-target' AND (approved OR role <> 100)"), 0);
  EXPECT_EQ(admin.Get("/api/v1/accounts?status=maybe").status, 400);
}

TEST_F(AdminAuth, ApprovalAndRoleChangesAreAudited) {
  auto reg = stack().Client().Register("audited", "audited@example.test", good());
  ASSERT_EQ(reg.status, 201);
  const std::string path =
      "/api/v1/accounts/" + std::to_string(Body(reg)["account"]["id"].get<int64_t>());
  auto admin = stack().AdminSession();
  auto approve = admin.PatchJson(path, R"({"approved":true})");
  ASSERT_EQ(approve.status, 200) << approve;
  auto promote = admin.PatchJson(path, R"({"role":300})");
  ASSERT_EQ(promote.status, 200) << promote;
  EXPECT_EQ(Body(promote)["account"]["role"], 300);

  auto page = admin.Get("/api/v1/audit?actor=" + stack().options().admin_username + "&limit=200");
  ASSERT_EQ(page.status, 200) << page;
  json role_entry, approve_entry;
  const json entries = Body(page)["entries"];
  for (const auto& e : entries) {
    if (e["target"].get<std::string>().find("(audited)") == std::string::npos) continue;
    if (e["action"] == "account.role" && role_entry.is_null()) role_entry = e;
    if (e["action"] == "account.approve" && approve_entry.is_null()) approve_entry = e;
  }
  ASSERT_FALSE(role_entry.is_null()) << page;
  ASSERT_FALSE(approve_entry.is_null()) << page;
  EXPECT_EQ(role_entry["before"], json({{"role", 100}}));
  EXPECT_EQ(role_entry["after"], json({{"role", 300}}));
  EXPECT_EQ(role_entry["actor"], stack().options().admin_username);
  EXPECT_EQ(role_entry["request_id"], promote.Header("x-request-id"));
  EXPECT_EQ(approve_entry["before"], json({{"approved", false}}));
  EXPECT_EQ(approve_entry["after"], json({{"approved", true}}));
  EXPECT_EQ(approve_entry["request_id"], approve.Header("x-request-id"));
  EXPECT_GT(role_entry["id"].get<int64_t>(), approve_entry["id"].get<int64_t>());  // newest first

  // Paging one entry at a time walks the same entries in the same order.
  auto all = Body(admin.Get("/api/v1/audit?limit=200"))["entries"];
  std::vector<int64_t> walked;
  std::string cursor;
  for (int i = 0; i < 100; ++i) {
    auto r = admin.Get("/api/v1/audit?limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r;
    const json got = Body(r)["entries"];
    for (const auto& e : got) walked.push_back(e["id"]);
    if (Body(r)["next_cursor"].is_null()) break;
    cursor = Body(r)["next_cursor"];
  }
  ASSERT_EQ(walked.size(), all.size());
  for (size_t i = 0; i < walked.size(); ++i) EXPECT_EQ(walked[i], all[i]["id"].get<int64_t>());
  auto only_roles = Body(admin.Get("/api/v1/audit?action=account.role"))["entries"];
  for (const auto& e : only_roles) EXPECT_EQ(e["action"], "account.role");
  EXPECT_EQ(admin.Get("/api/v1/audit?limit=0").status, 400);
  EXPECT_EQ(admin.Get("/api/v1/audit?cursor=nope").status, 400);
  EXPECT_EQ(admin.Get("/api/v1/audit?bogus=1").status, 400);
}

TEST_F(AdminAuth, AdminCreateCliMakesAnApprovedAdmin) {
  TempDir dir("vend-admin-cli-");
  const auto pw_file = dir.WriteFile("pw", "cli-admin-password\n");
  auto r = stack().RunCli({"admin", "create", "cli-admin", "--email", "cli@example.test",
                           "--password-file", pw_file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("cli-admin-password"), std::string::npos);
  EXPECT_EQ(r.err.find("cli-admin-password"), std::string::npos);
  EXPECT_EQ(Accounts("username = 'cli-admin' AND role = 300 AND approved"), 1);
  auto c = stack().Client();
  EXPECT_EQ(c.Login("cli-admin", "cli-admin-password").status, 200);
  // An admin action like any other: in the audit log, by the CLI.
  EXPECT_EQ(stack().QueryText("SELECT actor_username || ' ' || coalesce(actor_id::text, '-') || "
                              "' ' || (after->>'role') FROM audit_log WHERE action = "
                              "'account.create' AND target LIKE '%(cli-admin)'"),
            "cli - 300");
  const int64_t audits = stack().QueryInt("SELECT count(*) FROM audit_log");

  auto dup = stack().RunCli({"admin", "create", "CLI-admin", "--email", "cli2@example.test"},
                            {{"VEND_ADMIN_PASSWORD", "cli-admin-password"}});
  EXPECT_EQ(dup.exit_code, 2);
  EXPECT_NE(dup.err.find("username_taken"), std::string::npos) << dup.err;
  auto bad = stack().RunCli({"admin", "create", "no spaces", "--email", "cli3@example.test"},
                            {{"VEND_ADMIN_PASSWORD", "cli-admin-password"}});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("username"), std::string::npos) << bad.err;
  auto no_pw = stack().RunCli({"admin", "create", "cli-nopw", "--email", "cli4@example.test"});
  EXPECT_EQ(no_pw.exit_code, 2);
  EXPECT_NE(no_pw.err.find("VEND_ADMIN_PASSWORD"), std::string::npos) << no_pw.err;
  auto short_pw = stack().RunCli({"admin", "create", "cli-short", "--email", "cli5@example.test"},
                                 {{"VEND_ADMIN_PASSWORD", "tiny"}});
  EXPECT_EQ(short_pw.exit_code, 2);
  EXPECT_EQ(short_pw.err.find("tiny"), std::string::npos) << short_pw.err;
  EXPECT_EQ(Accounts("username IN ('no spaces', 'cli-nopw', 'cli-short')"), 0);
  EXPECT_EQ(stack().QueryInt("SELECT count(*) FROM audit_log"), audits);
}

TEST_F(AdminAuth, NonApiPathsAreNotTheApi) {
  auto c = stack().Client();
  // No --portal-dir: the portal is not served, but the API and ops routes are.
  EXPECT_EQ(c.Get("/machines/M-1").status, 404);
  EXPECT_EQ(c.Get("/healthz").status, 200);
}

TEST(AdminAuthPortal, ServesFilesWithHistoryRoutingFallback) {
  TempDir portal("vend-portal-");
  portal.WriteFile("index.html", "<!doctype html><title>portal</title>");
  portal.WriteFile("js/app.js", "export const x = 1;");
  AdminStackOptions o;
  o.extra_args = {"--portal-dir", portal.path().string()};
  AdminStack stack(o);
  auto c = stack.Client();
  auto root = c.Get("/");
  EXPECT_EQ(root.status, 200) << root;
  EXPECT_EQ(root.Header("content-type"), "text/html; charset=utf-8");
  auto route = c.Get("/machines/M-1");
  EXPECT_EQ(route.status, 200) << route;
  EXPECT_EQ(route.body, root.body);
  auto js = c.Get("/js/app.js");
  EXPECT_EQ(js.status, 200) << js;
  EXPECT_EQ(js.Header("content-type"), "text/javascript; charset=utf-8");
  auto missing = c.Get("/js/missing.js");
  EXPECT_EQ(missing.status, 404) << missing;
  EXPECT_EQ(Code(missing), "not_found");
  EXPECT_EQ(c.Get("/../../etc/passwd").status, 404);
  EXPECT_EQ(c.Get("/%2e%2e/%2e%2e/etc/passwd").status, 404);
  EXPECT_EQ(c.Post("/orders", "application/json", "{}").status, 405);
  // The API is not shadowed by the fallback.
  EXPECT_EQ(c.Get("/api/v1/machines").status, 401);
}

TEST(AdminAuthPortal, EveryAnswerCarriesTheBrowserSecurityHeaders) {
  TempDir portal("vend-portal-");
  portal.WriteFile("index.html", "<!doctype html><title>portal</title>");
  AdminStackOptions o;
  o.extra_args = {"--portal-dir", portal.path().string()};
  AdminStack stack(o);
  auto c = stack.AdminSession();
  for (const char* target : {"/", "/orders", "/api/v1/machines", "/api/v1/nothing", "/healthz"}) {
    SCOPED_TRACE(target);
    auto r = c.Get(target);
    const std::string csp = r.Header("content-security-policy");
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << r;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << r;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << r;
    EXPECT_EQ(r.Header("x-frame-options"), "DENY");
    EXPECT_EQ(r.Header("x-content-type-options"), "nosniff");
    EXPECT_EQ(r.Header("referrer-policy"), "same-origin");
  }
  // Account and fleet data is never cached; the portal's files are revalidated.
  EXPECT_EQ(c.Get("/api/v1/auth/me").Header("cache-control"), "no-store");
  EXPECT_EQ(c.Get("/api/v1/orders").Header("cache-control"), "no-store");
  EXPECT_EQ(c.Get("/").Header("cache-control"), "no-cache");
}

TEST(AdminAuthRateLimit, SixthFailureIsRefusedEvenWithTheRightPassword) {
  AdminStackOptions o;
  o.extra_args = {"--login-max-address-failures", "8"};
  AdminStack stack(o);
  stack.CreateAccount("limited", 100, true, "limited-password");
  stack.CreateAccount("neighbour", 100, true, "neighbour-password");
  auto c = stack.Client();
  for (int i = 0; i < 5; ++i) {
    auto r = c.Login("limited", "wrong-password");
    ASSERT_EQ(r.status, 401) << i << ": " << r;
  }
  auto sixth = c.Login("LIMITED", "limited-password");
  EXPECT_EQ(sixth.status, 429) << sixth;
  EXPECT_EQ(Code(sixth), "rate_limited");
  const int retry =
      std::stoi(sixth.Header("retry-after").empty() ? "0" : sixth.Header("retry-after"));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 900);
  EXPECT_EQ(sixth.Header("set-cookie"), "");
  // Another name from the same address is still judged on its password...
  EXPECT_EQ(c.Login("neighbour", "wrong-password").status, 401);
  EXPECT_EQ(c.Login("neighbour", "wrong-password").status, 401);
  EXPECT_EQ(c.Login("neighbour", "neighbour-password").status, 200);
  EXPECT_EQ(c.Login("neighbour", "wrong-password").status, 401);
  // ... until the address has 8 failures within the window.
  auto blocked = c.Login("neighbour", "neighbour-password");
  EXPECT_EQ(blocked.status, 429) << blocked;
  EXPECT_GE(stack.Metric("vend_cloud_logins_total", "outcome=\"rate_limited\""), 2);
  EXPECT_GE(stack.Metric("vend_cloud_logins_total", "outcome=\"bad_credentials\""), 8);
}

TEST(AdminAuthRateLimit, ParallelGuessesGetExactlyTheLimit) {
  AdminStack stack;  // 5 failures per name
  stack.CreateAccount("target", 100, true, "target-password");
  const int kGuesses = 12;
  std::atomic<int> refused{0}, limited{0}, other{0};
  std::vector<std::thread> guessers;
  for (int i = 0; i < kGuesses; ++i) {
    guessers.emplace_back([&] {
      auto c = stack.Client();
      const int status = c.Login("target", "wrong-password").status;
      (status == 401 ? refused : status == 429 ? limited : other)++;
    });
  }
  for (auto& t : guessers) t.join();
  // Each guess is counted before its password is checked, so concurrent guesses see
  // each other: exactly the limit is judged, the rest are refused unheard.
  EXPECT_EQ(refused.load(), 5);
  EXPECT_EQ(limited.load(), kGuesses - 5);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(stack.QueryInt("SELECT count(*) FROM login_attempts WHERE username = 'target' AND "
                           "NOT ok"),
            5);
  // The right password is refused too while the name is throttled.
  EXPECT_EQ(stack.Client().Login("target", "target-password").status, 429);
}

TEST(AdminAuthFlags, SecureCookiesAndSessionTtl) {
  AdminStackOptions o;
  o.extra_args = {"--secure-cookies", "--session-ttl", "1"};
  AdminStack stack(o);
  auto c = stack.AdminSession();
  const std::string set = c.last_set_cookie();
  EXPECT_NE(set.find("; Secure"), std::string::npos) << set;
  EXPECT_NE(set.find("; Max-Age=3600"), std::string::npos) << set;
  EXPECT_EQ(stack.QueryInt("SELECT count(*) FROM sessions WHERE expires_at BETWEEN "
                           "now() + interval '3590 seconds' AND now() + interval '3610 seconds'"),
            1);
  auto out = c.Logout();
  EXPECT_NE(out.Header("set-cookie").find("; Secure"), std::string::npos) << out;
}

TEST(AdminAuthBootstrap, EnvironmentAdminIsCreatedOnceAcrossRestarts) {
  AdminStack stack;
  const auto& o = stack.options();
  EXPECT_EQ(stack.QueryInt("SELECT count(*) FROM accounts WHERE role = 300 AND approved"), 1);
  EXPECT_EQ(stack.QueryText("SELECT email FROM accounts WHERE role = 300"), o.admin_email);
  stack.Stop();
  stack.Start();
  EXPECT_EQ(stack.QueryInt("SELECT count(*) FROM accounts"), 1);
  // An admin exists: another name in the environment creates nothing.
  stack.Stop();
  stack.Start(std::nullopt, {{"VEND_ADMIN_USERNAME", "second-admin"}});
  EXPECT_EQ(stack.QueryInt("SELECT count(*) FROM accounts"), 1);
  EXPECT_EQ(stack.QueryText("SELECT string_agg(actor_username || ' ' || action, ', ') FROM "
                            "audit_log"),
            "bootstrap account.create");
  EXPECT_NE(stack.Log().find("admin bootstrap skipped"), std::string::npos);
  EXPECT_EQ(stack.Log().find(o.admin_password), std::string::npos);
  EXPECT_EQ(stack.Client().Login(o.admin_username, o.admin_password).status, 200);
}

TEST(AdminAuthErrors, InternalErrorShowsOnlyTheRequestId) {
  AdminStack stack;
  auto admin = stack.AdminSession();
  // A realistic fault: the table behind the route is gone.
  stack.Exec("DROP TABLE audit_log");
  auto r = admin.Get("/api/v1/audit");
  ASSERT_EQ(r.status, 500) << r;
  const std::string id = r.Header("x-request-id");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(Code(r), "internal");
  EXPECT_NE(r.body.find(id), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("audit_log"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("relation"), std::string::npos) << r.body;
  EXPECT_NE(stack.Log().find(id), std::string::npos);
}

}  // namespace
}  // namespace vend::test_support
