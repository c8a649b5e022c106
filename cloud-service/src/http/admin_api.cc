#include "http/admin_api.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "auth/password.h"
#include "core/order_query.h"
#include "vend/http/static_files.h"
#include "vend/url.h"

namespace vend::cloud::http {

using nlohmann::json;
using vend::http::HttpRequest;
using vend::http::HttpResponse;

struct AdminApi::Session {
  std::string token_hash;
  db::SessionInfo info;
};

namespace {

constexpr size_t kMaxJsonBody = 64 * 1024;

HttpResponse Json(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

json AccountJson(const db::Account& a) {
  return json{{"id", a.id},     {"username", a.username}, {"email", a.email},
              {"role", a.role}, {"approved", a.approved}, {"created_at", a.created_at}};
}

HttpResponse MethodNotAllowed(const HttpRequest& req, const std::string& allow) {
  auto r = vend::http::ErrorResponse(Status(Code::kInvalidArgument, "method_not_allowed",
                                            req.method + " is not allowed here; allowed: " + allow),
                                     req.request_id);
  r.status = 405;
  r.headers.emplace_back("Allow", allow);
  return r;
}

bool IsRead(const std::string& method) { return method == "GET" || method == "HEAD"; }

// The raw path split at '/', each segment percent-decoded; nullopt for a bad escape.
std::optional<std::vector<std::string>> DecodedSegments(const std::string& path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string::npos) end = path.size();
    if (end > pos) {
      auto s = vend::PercentDecode(std::string_view(path).substr(pos, end - pos), false);
      if (!s) return std::nullopt;
      out.push_back(std::move(*s));
    }
    pos = end + 1;
  }
  return out;
}

// A JSON object body: Content-Type application/json (415), at most 64 KiB (413), one
// object (400), only the `allowed` members (400 naming the first unknown one).
Result<json> ParseObject(const HttpRequest& http, const std::set<std::string>& allowed) {
  std::string type = http.content_type.substr(0, http.content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (type != "application/json") {
    return Status(Code::kUnsupportedMedia, "unsupported_media_type",
                  "Content-Type must be application/json");
  }
  if (http.body.size() > kMaxJsonBody) {
    return Status(Code::kTooLarge, "payload_too_large", "JSON body is larger than 64 KiB");
  }
  json body = json::parse(http.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return InvalidArgument("body: not valid JSON");
  if (!body.is_object()) return InvalidArgument("body: must be a JSON object");
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (allowed.count(it.key()) == 0) return InvalidArgument(it.key() + ": unknown field");
  }
  return body;
}

Result<std::string> RequiredString(const json& body, const std::string& name) {
  auto it = body.find(name);
  if (it == body.end()) return InvalidArgument(name + ": required");
  if (!it->is_string()) return InvalidArgument(name + ": must be a string");
  return it->get<std::string>();
}

// Prefixes a validation message with the field it is about.
Status Named(const std::string& field, const Status& s) {
  if (s.ok()) return s;
  return Status(s.code(), s.reason(), field + ": " + s.message());
}

// A positive decimal id of at most 18 digits without a leading zero.
std::optional<int64_t> PathId(const std::string& s) {
  if (s.empty() || s.size() > 18 || s[0] == '0') return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// Audit cursor: "<at in microseconds>.<id>", both decimal.
std::string EncodeCursor(const std::pair<int64_t, int64_t>& c) {
  return std::to_string(c.first) + "." + std::to_string(c.second);
}

std::optional<std::pair<int64_t, int64_t>> DecodeCursor(const std::string& s) {
  const size_t dot = s.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == s.size() || dot > 18 ||
      s.size() - dot - 1 > 18) {
    return std::nullopt;
  }
  int64_t at = 0;
  for (size_t i = 0; i < dot; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    at = at * 10 + (s[i] - '0');
  }
  auto id = PathId(s.substr(dot + 1));
  if (!id) return std::nullopt;
  return std::make_pair(at, *id);
}

}  // namespace

AdminApi::AdminApi(db::PgAccounts& accounts, metrics::Registry& registry, AdminApiOptions options,
                   AdminHandler next)
    : accounts_(accounts),
      options_(std::move(options)),
      next_(std::move(next)),
      login_ok_(registry.GetCounter("vend_cloud_logins_total", "Admin portal logins by outcome",
                                    {{"outcome", "ok"}})),
      login_bad_(registry.GetCounter("vend_cloud_logins_total", "Admin portal logins by outcome",
                                     {{"outcome", "bad_credentials"}})),
      login_limited_(registry.GetCounter("vend_cloud_logins_total",
                                         "Admin portal logins by outcome",
                                         {{"outcome", "rate_limited"}})),
      registrations_(registry.GetCounter("vend_cloud_registrations_total",
                                         "Admin portal accounts registered")),
      denied_unauthenticated_(registry.GetCounter("vend_cloud_admin_denied_total",
                                                  "Admin API requests refused by the access checks",
                                                  {{"code", "unauthenticated"}})),
      denied_forbidden_(registry.GetCounter("vend_cloud_admin_denied_total",
                                            "Admin API requests refused by the access checks",
                                            {{"code", "forbidden"}})),
      denied_csrf_(registry.GetCounter("vend_cloud_admin_denied_total",
                                       "Admin API requests refused by the access checks",
                                       {{"code", "csrf_failed"}})) {}

HttpResponse AdminApi::Fail(const Status& s, const HttpRequest& req) {
  if (s.code() == Code::kInternal || s.code() == Code::kUnavailable) {
    spdlog::error("admin api failed request_id={} path={} error={}", req.request_id, req.path,
                  s.ToString());
    if (s.code() == Code::kUnavailable) {
      return vend::http::ErrorResponse(
          Status(Code::kUnavailable, "unavailable", "the database is unavailable, try again"),
          req.request_id);
    }
  }
  return vend::http::ErrorResponse(s, req.request_id);
}

HttpResponse AdminApi::Handle(const HttpRequest& req) {
  auto decoded = DecodedSegments(req.path);
  std::vector<std::string> segments;
  bool v1 = false;
  if (decoded && decoded->size() >= 2 && (*decoded)[0] == "api" && (*decoded)[1] == "v1") {
    segments.assign(decoded->begin() + 2, decoded->end());
    v1 = true;
  }

  // Authentication: a well-formed cookie naming an unexpired session.
  std::optional<Session> session;
  if (auto token = core::CookieValue(req.Header("cookie"), core::kSessionCookie);
      token && core::LooksLikeSessionToken(*token)) {
    std::string hash = auth::Sha256(*token);
    auto found = accounts_.FindSession(hash);
    if (!found.ok()) return Fail(found.status(), req);
    if (*found) session = Session{std::move(hash), std::move(**found)};
  }
  core::Caller caller;
  if (session) caller = {true, session->info.account.approved, session->info.account.role};

  const auto route = v1 ? core::ClassifyRoute(segments) : core::RouteKind::kOther;
  if (auto s = core::Authorize(caller, route, req.method); !s.ok()) {
    (s.code() == Code::kUnauthenticated ? denied_unauthenticated_ : denied_forbidden_).Inc();
    if (session) {
      spdlog::info("auth denied request_id={} account_id={} method={} path={} code={}",
                   req.request_id, session->info.account.id, req.method, req.path, s.reason());
    }
    return Fail(s, req);
  }
  if (core::NeedsCsrf(caller, route, req.method)) {
    const std::string sent = req.Header("x-csrf-token");
    if (sent.empty() || !auth::ConstantTimeEquals(sent, session->info.csrf_token)) {
      denied_csrf_.Inc();
      spdlog::warn("auth csrf_failed request_id={} account_id={} method={} path={}", req.request_id,
                   session->info.account.id, req.method, req.path);
      return Fail(
          Status(Code::kPermissionDenied, "csrf_failed", "missing or wrong X-CSRF-Token header"),
          req);
    }
  }
  if (!v1) {
    return Fail(Status(Code::kNotFound, "not_found", "no such API route: " + req.path), req);
  }
  return Route(req, segments, session);
}

HttpResponse AdminApi::Route(const HttpRequest& req, const std::vector<std::string>& seg,
                             const std::optional<Session>& session) {
  const std::string& method = req.method;
  if (!seg.empty() && seg[0] == "auth") {
    if (seg.size() == 2) {
      if (seg[1] == "register") {
        return method == "POST" ? Register(req) : MethodNotAllowed(req, "POST");
      }
      if (seg[1] == "login") {
        return method == "POST" ? Login(req, session) : MethodNotAllowed(req, "POST");
      }
      if (seg[1] == "logout") {
        return method == "POST" ? Logout(req, session) : MethodNotAllowed(req, "POST");
      }
      if (seg[1] == "me") {
        if (!IsRead(method)) return MethodNotAllowed(req, "GET, HEAD");
        if (auto q = core::ParseQueryString(req.query, {"_"}); !q.ok()) {
          return Fail(q.status(), req);
        }
        return Json(200, json{{"account", AccountJson(session->info.account)},
                              {"csrf_token", session->info.csrf_token}});
      }
    }
    return Fail(Status(Code::kNotFound, "not_found", "no such API route: " + req.path), req);
  }
  if (!seg.empty() && seg[0] == "accounts") {
    if (seg.size() == 1)
      return IsRead(method) ? ListAccounts(req) : MethodNotAllowed(req, "GET, HEAD");
    if (seg.size() == 2) {
      return method == "PATCH" ? PatchAccount(req, seg[1], *session)
                               : MethodNotAllowed(req, "PATCH");
    }
    return Fail(Status(Code::kNotFound, "not_found", "no such API route: " + req.path), req);
  }
  if (seg.size() == 1 && seg[0] == "audit") {
    return IsRead(method) ? Audit(req) : MethodNotAllowed(req, "GET, HEAD");
  }
  const auto& a = session->info.account;
  AdminRequest admin_request{req, seg, Principal{a.id, a.username, a.role, a.approved}};
  return next_(admin_request);
}

HttpResponse AdminApi::Register(const HttpRequest& req) {
  auto body = ParseObject(req, {"username", "email", "password"});
  if (!body.ok()) return Fail(body.status(), req);
  auto username = RequiredString(*body, "username");
  if (!username.ok()) return Fail(username.status(), req);
  auto email = RequiredString(*body, "email");
  if (!email.ok()) return Fail(email.status(), req);
  auto password = RequiredString(*body, "password");
  if (!password.ok()) return Fail(password.status(), req);
  if (auto s = core::ValidateUsername(*username); !s.ok()) return Fail(Named("username", s), req);
  if (auto s = core::ValidateEmail(*email); !s.ok()) return Fail(Named("email", s), req);
  if (auto s = core::ValidatePassword(*password); !s.ok()) return Fail(Named("password", s), req);
  auto hash = auth::HashPassword(*password);
  if (!hash.ok()) return Fail(hash.status(), req);
  auto created = accounts_.Create({*username, *email, *hash, core::kRoleUser, false});
  if (!created.ok()) {
    spdlog::info("auth register refused request_id={} reason={}", req.request_id,
                 created.status().reason());
    return Fail(created.status(), req);
  }
  registrations_.Inc();
  spdlog::info("auth register request_id={} account_id={} username={} remote={}", req.request_id,
               created->id, created->username, req.remote_address);
  return Json(201, json{{"account", AccountJson(*created)}});
}

HttpResponse AdminApi::Login(const HttpRequest& req, const std::optional<Session>& session) {
  auto body = ParseObject(req, {"username", "password"});
  if (!body.ok()) return Fail(body.status(), req);
  auto username = RequiredString(*body, "username");
  if (!username.ok()) return Fail(username.status(), req);
  auto password = RequiredString(*body, "password");
  if (!password.ok()) return Fail(password.status(), req);

  // Throttle before the password is looked at, so guessing costs the same either way;
  // the attempt counts as a failure until the password proves right.
  auto start = accounts_.BeginLoginAttempt(*username, req.remote_address, options_.login_limits);
  if (!start.ok()) return Fail(start.status(), req);
  const auto& decision = start->decision;
  if (!decision.allowed) {
    login_limited_.Inc();
    spdlog::warn("auth login rate_limited request_id={} remote={} retry_after_s={}", req.request_id,
                 req.remote_address, decision.retry_after_s);
    auto r = Fail(Status(Code::kTooManyRequests, "rate_limited",
                         "too many failed sign-ins; try again in " +
                             std::to_string(decision.retry_after_s) + " s"),
                  req);
    r.headers.emplace_back("Retry-After", std::to_string(decision.retry_after_s));
    return r;
  }

  auto found = core::ValidateUsername(*username).ok()
                   ? accounts_.FindByUsername(*username)
                   : Result<std::optional<db::AccountLogin>>(std::optional<db::AccountLogin>());
  if (!found.ok()) return Fail(found.status(), req);
  // An unknown name costs one verification too, so timing does not tell names apart.
  const bool ok = *found ? auth::VerifyPassword(*password, (*found)->password_hash)
                         : (auth::VerifyPassword(*password, auth::DummyHash()), false);
  if (ok) {
    if (auto s = accounts_.MarkLoginSucceeded(start->attempt_id); !s.ok()) return Fail(s, req);
  }
  if (!ok) {
    login_bad_.Inc();
    spdlog::info("auth login bad_credentials request_id={} account_id={} remote={}", req.request_id,
                 *found ? (*found)->account.id : 0, req.remote_address);
    return Fail(Status(Code::kUnauthenticated, "bad_credentials", "wrong username or password"),
                req);
  }
  // A session presented with the login is replaced, never reused.
  if (session) {
    if (auto s = accounts_.DeleteSession(session->token_hash); !s.ok()) return Fail(s, req);
  }
  const auto& account = (*found)->account;
  const std::string token = auth::NewSessionToken();
  const std::string csrf = auth::NewCsrfToken();
  if (auto s = accounts_.CreateSession(auth::Sha256(token), account.id, csrf, options_.session_ttl,
                                       req.remote_address, req.Header("user-agent"));
      !s.ok()) {
    return Fail(s, req);
  }
  login_ok_.Inc();
  spdlog::info("auth login ok request_id={} account_id={} role={} approved={} remote={}",
               req.request_id, account.id, account.role, account.approved, req.remote_address);
  auto r = Json(200, json{{"account", AccountJson(account)}, {"csrf_token", csrf}});
  r.headers.emplace_back("Set-Cookie", core::SessionCookie(token, options_.session_ttl.count(),
                                                           options_.secure_cookies));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

HttpResponse AdminApi::Logout(const HttpRequest& req, const std::optional<Session>& session) {
  if (session) {
    if (auto s = accounts_.DeleteSession(session->token_hash); !s.ok()) return Fail(s, req);
    spdlog::info("auth logout request_id={} account_id={}", req.request_id,
                 session->info.account.id);
  }
  HttpResponse r;
  r.status = 204;
  r.content_type.clear();
  r.headers.emplace_back("Set-Cookie", core::ClearedSessionCookie(options_.secure_cookies));
  return r;
}

HttpResponse AdminApi::ListAccounts(const HttpRequest& req) {
  auto q = core::ParseQueryString(req.query, {"status", "_"});
  if (!q.ok()) return Fail(q.status(), req);
  std::optional<bool> approved;
  if (auto it = q->find("status"); it != q->end()) {
    if (it->second == "pending") {
      approved = false;
    } else if (it->second == "approved") {
      approved = true;
    } else {
      return Fail(InvalidArgument("status: must be pending or approved"), req);
    }
  }
  auto list = accounts_.List(approved);
  if (!list.ok()) return Fail(list.status(), req);
  json a = json::array();
  for (const auto& acc : *list) a.push_back(AccountJson(acc));
  return Json(200, json{{"accounts", a}});
}

HttpResponse AdminApi::PatchAccount(const HttpRequest& req, const std::string& id_text,
                                    const Session& session) {
  auto id = PathId(id_text);
  if (!id) return Fail(Status(Code::kNotFound, "not_found", "no such account"), req);
  auto body = ParseObject(req, {"approved", "role"});
  if (!body.ok()) return Fail(body.status(), req);
  std::optional<bool> approved;
  std::optional<int> role;
  if (auto it = body->find("approved"); it != body->end()) {
    if (!it->is_boolean()) return Fail(InvalidArgument("approved: must be true or false"), req);
    approved = it->get<bool>();
  }
  if (auto it = body->find("role"); it != body->end()) {
    if (!it->is_number_integer() || !core::IsValidRole(it->get<int64_t>())) {
      return Fail(InvalidArgument("role: must be 100 or 300"), req);
    }
    role = static_cast<int>(it->get<int64_t>());
  }
  if (!approved && !role) return Fail(InvalidArgument("body: give approved and/or role"), req);
  const auto& me = session.info.account;
  if (*id == me.id) {
    return Fail(Status(Code::kConflict, "self_change",
                       "administrators cannot change their own role or approval"),
                req);
  }
  core::Actor actor{me.id, me.username, req.request_id, req.remote_address};
  auto updated = accounts_.Update(*id, approved, role, actor);
  if (!updated.ok()) {
    if (updated.status().code() == Code::kNotFound) {
      return Fail(Status(Code::kNotFound, "not_found", updated.status().message()), req);
    }
    return Fail(updated.status(), req);
  }
  spdlog::info("auth account_update request_id={} account_id={} target_id={} approved={} role={}",
               req.request_id, me.id, updated->id, updated->approved, updated->role);
  return Json(200, json{{"account", AccountJson(*updated)}});
}

HttpResponse AdminApi::Audit(const HttpRequest& req) {
  auto q = core::ParseQueryString(req.query, {"actor", "action", "limit", "cursor", "_"});
  if (!q.ok()) return Fail(q.status(), req);
  db::AuditQuery query;
  if (auto it = q->find("actor"); it != q->end()) {
    if (it->second.size() > 64) return Fail(InvalidArgument("actor: at most 64 bytes"), req);
    query.actor = it->second;
  }
  if (auto it = q->find("action"); it != q->end()) {
    if (it->second.size() > 64) return Fail(InvalidArgument("action: at most 64 bytes"), req);
    query.action = it->second;
  }
  if (auto it = q->find("limit"); it != q->end()) {
    auto v = it->second.size() <= 3 ? PathId(it->second) : std::nullopt;
    if (!v || *v > 200) return Fail(InvalidArgument("limit: must be an integer 1..200"), req);
    query.limit = *v;
  }
  if (auto it = q->find("cursor"); it != q->end()) {
    query.before = DecodeCursor(it->second);
    if (!query.before) return Fail(InvalidArgument("cursor: not a cursor of this list"), req);
  }
  auto page = accounts_.Audit(query);
  if (!page.ok()) return Fail(page.status(), req);
  json entries = json::array();
  for (const auto& e : page->entries) {
    entries.push_back({{"id", e.id},
                       {"at", e.at},
                       {"actor", e.actor},
                       {"action", e.action},
                       {"target", e.target},
                       {"before", json::parse(e.before_json)},
                       {"after", json::parse(e.after_json)},
                       {"request_id", e.request_id}});
  }
  return Json(200, json{{"entries", entries},
                        {"next_cursor", page->next ? json(EncodeCursor(*page->next)) : json()}});
}

void AddBrowserSecurityHeaders(vend::http::HttpResponse& response, bool api) {
  auto has = [&response](std::string_view name) {
    for (const auto& [k, v] : response.headers) {
      if (k.size() == name.size() &&
          std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        return true;
      }
    }
    return false;
  };
  auto add = [&](const char* name, const char* value) {
    if (!has(name)) response.headers.emplace_back(name, value);
  };
  add("Content-Security-Policy",
      "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
      "frame-ancestors 'none'; form-action 'self'");
  add("X-Frame-Options", "DENY");
  add("X-Content-Type-Options", "nosniff");
  add("Referrer-Policy", "same-origin");
  if (api) add("Cache-Control", "no-store");
}

}  // namespace vend::cloud::http
