#include "core/accounts.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace vend::cloud::core {
namespace {

bool IsMutating(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string CookieAttributes(int64_t max_age_s, bool secure) {
  return "; Path=/; Max-Age=" + std::to_string(max_age_s) + "; HttpOnly; SameSite=Strict" +
         (secure ? "; Secure" : "");
}

}  // namespace

Status ValidateUsername(std::string_view username) {
  if (username.size() < 3 || username.size() > 32) {
    return InvalidArgument("username must be 3..32 characters");
  }
  for (char c : username) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return InvalidArgument("username may contain only letters, digits, '_', '.', '-'");
  }
  return Status::Ok();
}

Status ValidateEmail(std::string_view email) {
  if (email.size() < 3 || email.size() > 254) {
    return InvalidArgument("email must be 3..254 bytes");
  }
  for (char c : email) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return InvalidArgument("email must not contain spaces or control characters");
    }
  }
  const size_t at = email.find('@');
  if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos) {
    return InvalidArgument("email must contain exactly one '@'");
  }
  if (at == 0 || at + 1 == email.size()) {
    return InvalidArgument("email needs a name before and a domain after the '@'");
  }
  return Status::Ok();
}

Status ValidatePassword(std::string_view password) {
  if (password.size() < 10 || password.size() > 128) {
    return InvalidArgument("password must be 10..128 bytes");
  }
  if (password.find('\0') != std::string_view::npos) {
    return InvalidArgument("password must not contain NUL bytes");
  }
  return Status::Ok();
}

bool IsValidRole(int64_t role) { return role == kRoleUser || role == kRoleAdmin; }

RouteKind ClassifyRoute(const std::vector<std::string>& segments) {
  if (segments.size() == 2 && segments[0] == "auth") {
    if (segments[1] == "register") return RouteKind::kRegister;
    if (segments[1] == "login") return RouteKind::kLogin;
    if (segments[1] == "logout") return RouteKind::kLogout;
    if (segments[1] == "me") return RouteKind::kMe;
  }
  return RouteKind::kOther;
}

Status Authorize(const Caller& caller, RouteKind route, std::string_view method) {
  if (route == RouteKind::kRegister || route == RouteKind::kLogin) return Status::Ok();
  if (!caller.signed_in) {
    if (route == RouteKind::kLogout) return Status::Ok();
    return Status(Code::kUnauthenticated, "unauthenticated", "sign in first");
  }
  if (route == RouteKind::kLogout || route == RouteKind::kMe) return Status::Ok();
  if (!caller.approved) {
    return Status(Code::kPermissionDenied, "not_approved",
                  "this account is waiting for an administrator's approval");
  }
  if (IsMutating(method) && caller.role != kRoleAdmin) {
    return Status(Code::kPermissionDenied, "forbidden", "admin role required");
  }
  return Status::Ok();
}

bool NeedsCsrf(const Caller& caller, RouteKind route, std::string_view method) {
  if (route == RouteKind::kRegister || route == RouteKind::kLogin) return false;
  return caller.signed_in && IsMutating(method);
}

std::optional<std::string> CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t end = header.find_first_of(";,");
    std::string_view pair = Trim(header.substr(0, end));
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (Trim(pair.substr(0, eq)) != name) continue;
    std::string_view value = Trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (value.empty()) return std::nullopt;
    return std::string(value);
  }
  return std::nullopt;
}

bool LooksLikeSessionToken(std::string_view token) {
  if (token.size() != 43) return false;
  return std::all_of(token.begin(), token.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

std::string SessionCookie(std::string_view token, int64_t max_age_s, bool secure) {
  return std::string(kSessionCookie) + "=" + std::string(token) +
         CookieAttributes(max_age_s, secure);
}

std::string ClearedSessionCookie(bool secure) {
  return std::string(kSessionCookie) + "=" + CookieAttributes(0, secure);
}

RateDecision DecideLogin(const LoginFailures& failures, const LoginLimits& limits) {
  RateDecision d;
  double wait = 0;
  if (failures.user_failures >= limits.max_user_failures) {
    d.allowed = false;
    wait = std::max(
        wait, static_cast<double>(limits.window_s) - failures.user_expiry_age_s.value_or(0.0));
  }
  if (failures.addr_failures >= limits.max_addr_failures) {
    d.allowed = false;
    wait = std::max(
        wait, static_cast<double>(limits.window_s) - failures.addr_expiry_age_s.value_or(0.0));
  }
  if (!d.allowed) {
    d.retry_after_s = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(wait)), 1,
                                          std::max<int64_t>(limits.window_s, 1));
  }
  return d;
}

}  // namespace vend::cloud::core
