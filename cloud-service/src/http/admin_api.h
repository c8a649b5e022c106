// AdminApi: every request below /api/ of vend-cloud (the admin REST API of the admin
// contract). It authenticates the caller from the vf_session cookie, applies the access
// rules (401 anonymous, 403 unapproved / operator mutation, 403 csrf_failed), then
// answers its own routes
//
//   POST /api/v1/auth/register   {username,email,password} -> 201 {"account"}
//   POST /api/v1/auth/login      {username,password} -> 200 {"account","csrf_token"} + cookie
//   POST /api/v1/auth/logout     -> 204, session deleted, cookie cleared
//   GET  /api/v1/auth/me         -> 200 {"account","csrf_token"}
//   GET  /api/v1/accounts        ?status=pending|approved -> 200 {"accounts"}
//   PATCH /api/v1/accounts/{id}  {approved?,role?} -> 200 {"account"} (audited)
//   GET  /api/v1/audit           ?actor&action&limit&cursor -> 200 {"entries","next_cursor"}
//
// and hands every other route to the AdminHandler given at construction (FleetApi).
// Login is throttled per user name and per client address (state in PostgreSQL, shared by
// all instances) before the password is checked. Every auth event is one log line with
// the request id and account id; passwords and tokens are never logged.
//
// Thread safety: Handle may be called concurrently.
#pragma once

#include <chrono>

#include "core/accounts.h"
#include "db/pg_accounts.h"
#include "http/admin_request.h"
#include "vend/http/http_types.h"
#include "vend/metrics.h"

namespace vend::cloud::http {

struct AdminApiOptions {
  bool secure_cookies = false;                  // add "; Secure" to the session cookie
  std::chrono::seconds session_ttl{12 * 3600};  // absolute session lifetime
  core::LoginLimits login_limits;
};

class AdminApi {
 public:
  // `accounts` and `registry` must outlive the AdminApi; `next` answers the routes
  // AdminApi does not own, after the access checks.
  AdminApi(db::PgAccounts& accounts, metrics::Registry& registry, AdminApiOptions options,
           AdminHandler next);

  // For a request whose path starts with "/api/".
  vend::http::HttpResponse Handle(const vend::http::HttpRequest& request);

 private:
  struct Session;

  vend::http::HttpResponse Route(const vend::http::HttpRequest& request,
                                 const std::vector<std::string>& segments,
                                 const std::optional<Session>& session);
  vend::http::HttpResponse Register(const vend::http::HttpRequest& request);
  vend::http::HttpResponse Login(const vend::http::HttpRequest& request,
                                 const std::optional<Session>& session);
  vend::http::HttpResponse Logout(const vend::http::HttpRequest& request,
                                  const std::optional<Session>& session);
  vend::http::HttpResponse ListAccounts(const vend::http::HttpRequest& request);
  vend::http::HttpResponse PatchAccount(const vend::http::HttpRequest& request,
                                        const std::string& id_text, const Session& session);
  vend::http::HttpResponse Audit(const vend::http::HttpRequest& request);
  // An error answer; storage failures are logged in full and answered without detail.
  vend::http::HttpResponse Fail(const Status& status, const vend::http::HttpRequest& request);

  db::PgAccounts& accounts_;
  const AdminApiOptions options_;
  AdminHandler next_;
  metrics::Counter& login_ok_;
  metrics::Counter& login_bad_;
  metrics::Counter& login_limited_;
  metrics::Counter& registrations_;
  metrics::Counter& denied_unauthenticated_;
  metrics::Counter& denied_forbidden_;
  metrics::Counter& denied_csrf_;
};

// The headers every vend-cloud answer carries for browsers: a Content-Security-Policy
// that lets the portal load only its own files (no inline script, no framing, no
// plugins), X-Frame-Options DENY, nosniff and a same-origin referrer. API answers also
// get `Cache-Control: no-store` unless the handler chose a cache policy (images do).
void AddBrowserSecurityHeaders(vend::http::HttpResponse& response, bool api);

}  // namespace vend::cloud::http
