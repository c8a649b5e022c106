// Portal accounts without I/O: what a valid user name, e-mail address and password are,
// who may call which admin API route with which method, the session cookie's wire form,
// and the login rate limit's decision (admin contract, "Authentication & authorization").
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/actor.h"
#include "vend/status.h"

namespace vend::cloud::core {

// ^[A-Za-z0-9_.-]{3,32}$ (unique regardless of case, enforced by the database).
Status ValidateUsername(std::string_view username);
// 3..254 bytes, exactly one '@' with something on both sides, printable ASCII or UTF-8,
// no spaces or control characters.
Status ValidateEmail(std::string_view email);
// 10..128 bytes (any bytes but NUL: a passphrase may be in any script).
Status ValidatePassword(std::string_view password);
// 100 (operator) or 300 (admin).
bool IsValidRole(int64_t role);

// The routes whose access rule differs from "GET needs approval, the rest needs admin".
enum class RouteKind {
  kRegister,  // POST /api/v1/auth/register: anyone, no session used
  kLogin,     // POST /api/v1/auth/login: anyone, no session used
  kLogout,    // POST /api/v1/auth/logout: anyone (a no-op without a session)
  kMe,        // GET /api/v1/auth/me: any signed-in account, approved or not
  kOther,     // everything else below /api/v1/
};

// Classifies a path below /api/v1/ by its segments (method-independent: a wrong method
// on an auth route is a 405 from routing, after the access checks).
RouteKind ClassifyRoute(const std::vector<std::string>& segments);

// The caller as its session shows it; `signed_in` false means no valid session.
struct Caller {
  bool signed_in = false;
  bool approved = false;
  int role = kRoleUser;
};

// The access decision, in the contract's order: 401 `unauthenticated` for an anonymous
// caller outside register/login/logout; 403 `not_approved` for an unapproved account
// outside me/logout; 403 `forbidden` ("admin role required") for an operator's
// non-GET/HEAD request; Ok otherwise. register and login are open to everyone: they
// authenticate by their body, not by the session.
Status Authorize(const Caller& caller, RouteKind route, std::string_view method);

// Whether the request must carry the session's CSRF token: a mutating method (anything
// but GET, HEAD, OPTIONS) made with a session, except register and login.
bool NeedsCsrf(const Caller& caller, RouteKind route, std::string_view method);

// The session cookie's name.
inline constexpr std::string_view kSessionCookie = "vf_session";

// The value of cookie `name` in a Cookie header ("a=1; vf_session=XYZ; b=2"; pairs may
// be separated by ';' or ',' with any spaces around them). The first occurrence wins;
// nullopt when absent or empty.
std::optional<std::string> CookieValue(std::string_view header, std::string_view name);

// Whether `token` looks like a session token (43 base64url characters), checked before
// touching the database.
bool LooksLikeSessionToken(std::string_view token);

// The Set-Cookie value that installs a session:
// "vf_session=TOKEN; Path=/; Max-Age=N; HttpOnly; SameSite=Strict[; Secure]".
std::string SessionCookie(std::string_view token, int64_t max_age_s, bool secure);
// The Set-Cookie value that removes it (empty value, Max-Age=0).
std::string ClearedSessionCookie(bool secure);

// Login throttling, per user name (case-insensitive) and per client address, over a
// sliding window. Only failures count; a success does not clear earlier failures.
struct LoginLimits {
  int64_t max_user_failures = 5;
  int64_t max_addr_failures = 30;
  int64_t window_s = 900;
};

// What the store knows about recent failures. `*_expiry_age_s` is the age in seconds of
// the failure whose expiry would bring the count below its limit (the max-th newest in
// the window), or nullopt when the count is below the limit.
struct LoginFailures {
  int64_t user_failures = 0;
  int64_t addr_failures = 0;
  std::optional<double> user_expiry_age_s;
  std::optional<double> addr_expiry_age_s;
};

struct RateDecision {
  bool allowed = true;
  int64_t retry_after_s = 0;  // > 0 when not allowed
};

// Refused when either count has reached its limit; Retry-After is when the later of the
// blocking failures leaves the window (at least 1 s).
RateDecision DecideLogin(const LoginFailures& failures, const LoginLimits& limits);

}  // namespace vend::cloud::core
