// AdminStack and AdminClient: the admin API's tests against the real thing.
//
// AdminStack starts a private TestBroker, a fresh TestDatabase and `vend-cloud serve` as
// a child process on a free loopback port, with a first administrator created from the
// environment at start (VEND_ADMIN_USERNAME/PASSWORD/EMAIL), and waits until /healthz
// answers 200. It also runs vend-cloud CLI commands against the same database and reads
// or changes that database directly (to look behind the API, or to set up states the API
// cannot make, e.g. an expired session).
//
// AdminClient is a browser-like client of one stack: a cookie jar (every Set-Cookie of a
// reply is stored; Max-Age=0 or an empty value removes the cookie) sent as the Cookie
// header, and the CSRF token of the last successful login or /auth/me sent as
// X-CSRF-Token on POST/PUT/PATCH/DELETE. Both can be overridden per test to play a
// forger (SetCsrfToken, SetCookie, ClearCookies).
//
// Errors: setup failures throw std::runtime_error (gtest reports them as the test's
// failure); HTTP calls never throw (HttpReply.status 0 with `error` on transport
// failure, see http_client.h).
//
// Thread safety: an AdminStack is used by one thread. An AdminClient is not synchronized
// (its jar changes with every reply): one per thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/http_client.h"
#include "support/services.h"
#include "support/temp_dir.h"

namespace vend::test_support {

struct AdminStackOptions {
  // The first administrator, created by `serve` from the environment. An empty
  // `admin_username` leaves VEND_ADMIN_* unset (no account at all).
  std::string admin_username = "root-admin";
  std::string admin_password = "root-password-1";
  std::string admin_email = "root@example.test";
  // Appended to `vend-cloud serve --listen 127.0.0.1:PORT --log-level info`, e.g.
  // {"--secure-cookies"} or {"--login-max-failures", "3"}.
  std::vector<std::string> extra_args;
  // Added to (and overriding) the process environment of serve and RunCli.
  std::map<std::string, std::string> extra_env;
};

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class AdminClient;

class AdminStack {
 public:
  // Starts broker, database and vend-cloud; throws (with vend-cloud's log) when it does
  // not become healthy within 20 s.
  explicit AdminStack(AdminStackOptions options = {});
  ~AdminStack();  // SIGKILLs vend-cloud if it runs, then drops the database and broker
  AdminStack(const AdminStack&) = delete;
  AdminStack& operator=(const AdminStack&) = delete;

  int port() const { return port_; }
  const std::string& pg_url() const { return db_.url(); }
  const AdminStackOptions& options() const { return options_; }
  TestBroker& broker() { return broker_; }

  // The environment vend-cloud runs with: VEND_PG_URL, VEND_MQTT_URL, the cloud's broker
  // credential, VEND_ADMIN_* (unless disabled) and options().extra_env.
  std::map<std::string, std::string> Env() const;

  // SIGTERM and wait; Start() again (same port when free) with `extra_args` replacing
  // options().extra_args when given, and `extra_env` merged over options().extra_env.
  void Stop();
  void Start(std::optional<std::vector<std::string>> extra_args = std::nullopt,
             const std::map<std::string, std::string>& extra_env = {});
  bool Running() const { return pid_ > 0; }

  // Runs `vend-cloud ARGS...` to completion with Env() (minus VEND_ADMIN_*) merged with
  // `env`. Standard input is /dev/null.
  CliRun RunCli(const std::vector<std::string>& args,
                const std::map<std::string, std::string>& env = {}) const;

  // vend-cloud's log (standard error) so far.
  std::string Log() const;
  // The value of a Prometheus series from GET /metrics, e.g.
  // Metric("vend_cloud_logins_total", "outcome=\"ok\""); 0 when absent.
  double Metric(const std::string& name, const std::string& labels = "") const;

  // SQL straight on the test database (no parameters: tests pass literals).
  void Exec(const std::string& sql) const;
  // The first column of the first row as an integer (0 when NULL or no row).
  int64_t QueryInt(const std::string& sql) const;
  // The first column of the first row as text ("" when NULL or no row).
  std::string QueryText(const std::string& sql) const;

  // A new client with an empty cookie jar.
  AdminClient Client() const;
  // A client signed in as the first administrator; throws when login fails.
  AdminClient AdminSession() const;
  // Registers `username` (email "<username>@example.test", password `password`), then,
  // as the first administrator, sets approval and role through PATCH /accounts/{id};
  // returns a client signed in as that account. Throws on any unexpected answer.
  AdminClient CreateAccount(const std::string& username, int role, bool approved = true,
                            const std::string& password = "account-password-1") const;

 private:
  AdminStackOptions options_;
  TestBroker broker_;
  TestDatabase db_;
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

class AdminClient {
 public:
  explicit AdminClient(int port);

  // The /api/v1/auth calls. Login and Me remember the csrf_token of a 200 answer.
  HttpReply Register(const std::string& username, const std::string& email,
                     const std::string& password);
  HttpReply Login(const std::string& username, const std::string& password);
  HttpReply Logout();
  HttpReply Me();

  // Any target ("/api/v1/machines?x=1" or "/orders"), with the jar's cookies and, for
  // mutating methods, the CSRF header.
  HttpReply Get(const std::string& target);
  HttpReply Head(const std::string& target);
  HttpReply Delete(const std::string& target);
  // Body with Content-Type application/json.
  HttpReply PostJson(const std::string& target, const std::string& json);
  HttpReply PutJson(const std::string& target, const std::string& json);
  HttpReply PatchJson(const std::string& target, const std::string& json);
  // Body with any content type (e.g. an image, or the wrong type on purpose).
  HttpReply Put(const std::string& target, const std::string& content_type,
                const std::string& body);
  HttpReply Post(const std::string& target, const std::string& content_type,
                 const std::string& body);
  // Full control: `spec` gets the Cookie header and (mutating methods) X-CSRF-Token
  // added unless it already has them.
  HttpReply Send(HttpRequestSpec spec);

  // The jar. Cookie(name) is "" when absent.
  std::string Cookie(const std::string& name) const;
  void SetCookie(const std::string& name, const std::string& value);
  void ClearCookies();
  // The Set-Cookie header of the last reply that had one (attributes included).
  const std::string& last_set_cookie() const { return last_set_cookie_; }

  // The CSRF token sent on mutating requests ("" sends no header).
  const std::string& csrf_token() const { return csrf_; }
  void SetCsrfToken(std::string token) { csrf_ = std::move(token); }

  int port() const { return http_.port(); }

 private:
  void Absorb(const HttpReply& reply);

  HttpClient http_;
  std::map<std::string, std::string> cookies_;
  std::string csrf_;
  std::string last_set_cookie_;
};

// JSON string literal of `s` (quotes and escapes), for building bodies in tests.
std::string JsonQuote(const std::string& s);

}  // namespace vend::test_support
