#include "core/accounts.h"

#include <gtest/gtest.h>

#include <string>

#include "auth/password.h"

namespace vend::cloud::core {
namespace {

TEST(Accounts, UsernameRules) {
  EXPECT_TRUE(ValidateUsername("ann").ok());
  EXPECT_TRUE(ValidateUsername("A.b-c_9").ok());
  EXPECT_TRUE(ValidateUsername(std::string(32, 'x')).ok());
  EXPECT_FALSE(ValidateUsername("an").ok());
  EXPECT_FALSE(ValidateUsername(std::string(33, 'x')).ok());
  EXPECT_FALSE(ValidateUsername("ann smith").ok());
  EXPECT_FALSE(ValidateUsername("ann'--").ok());
  EXPECT_FALSE(ValidateUsername("ännа").ok());
  EXPECT_EQ(ValidateUsername("x").code(), Code::kInvalidArgument);
}

TEST(Accounts, EmailRules) {
  EXPECT_TRUE(ValidateEmail("a@x.io").ok());
  EXPECT_TRUE(ValidateEmail("a@b").ok());
  EXPECT_FALSE(ValidateEmail("a@").ok());
  EXPECT_FALSE(ValidateEmail("@x.io").ok());
  EXPECT_FALSE(ValidateEmail("ax.io").ok());
  EXPECT_FALSE(ValidateEmail("a@@x.io").ok());
  EXPECT_FALSE(ValidateEmail("a b@x.io").ok());
  EXPECT_FALSE(ValidateEmail("a\n@x.io").ok());
  EXPECT_FALSE(ValidateEmail(std::string(250, 'a') + "@x.io").ok());
}

TEST(Accounts, PasswordLength) {
  EXPECT_FALSE(ValidatePassword("short-pw1").ok());  // 9 bytes
  EXPECT_TRUE(ValidatePassword("0123456789").ok());
  EXPECT_TRUE(ValidatePassword(std::string(128, 'p')).ok());
  EXPECT_FALSE(ValidatePassword(std::string(129, 'p')).ok());
  EXPECT_FALSE(ValidatePassword(std::string("0123456789\0", 11)).ok());
}

TEST(Accounts, RolesAreUserOrAdmin) {
  EXPECT_TRUE(IsValidRole(100));
  EXPECT_TRUE(IsValidRole(300));
  EXPECT_FALSE(IsValidRole(200));
  EXPECT_FALSE(IsValidRole(0));
}

TEST(Accounts, ClassifiesAuthRoutes) {
  EXPECT_EQ(ClassifyRoute({"auth", "register"}), RouteKind::kRegister);
  EXPECT_EQ(ClassifyRoute({"auth", "login"}), RouteKind::kLogin);
  EXPECT_EQ(ClassifyRoute({"auth", "logout"}), RouteKind::kLogout);
  EXPECT_EQ(ClassifyRoute({"auth", "me"}), RouteKind::kMe);
  EXPECT_EQ(ClassifyRoute({"auth", "me", "x"}), RouteKind::kOther);
  EXPECT_EQ(ClassifyRoute({"machines"}), RouteKind::kOther);
  EXPECT_EQ(ClassifyRoute({}), RouteKind::kOther);
}

const Caller kAnonymous{};
const Caller kUnapproved{true, false, kRoleUser};
const Caller kOperator{true, true, kRoleUser};
const Caller kAdmin{true, true, kRoleAdmin};

std::string Reason(const Status& s) { return s.ok() ? "ok" : s.reason(); }

TEST(Authorize, AnonymousMayOnlyRegisterLoginLogout) {
  EXPECT_TRUE(Authorize(kAnonymous, RouteKind::kRegister, "POST").ok());
  EXPECT_TRUE(Authorize(kAnonymous, RouteKind::kLogin, "POST").ok());
  EXPECT_TRUE(Authorize(kAnonymous, RouteKind::kLogout, "POST").ok());
  EXPECT_EQ(Authorize(kAnonymous, RouteKind::kMe, "GET").code(), Code::kUnauthenticated);
  for (const char* m : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}) {
    auto s = Authorize(kAnonymous, RouteKind::kOther, m);
    EXPECT_EQ(s.code(), Code::kUnauthenticated) << m;
    EXPECT_EQ(s.reason(), "unauthenticated");
  }
}

TEST(Authorize, UnapprovedMayOnlySeeThemselvesAndLeave) {
  EXPECT_EQ(Reason(Authorize(kUnapproved, RouteKind::kMe, "GET")), "ok");
  EXPECT_EQ(Reason(Authorize(kUnapproved, RouteKind::kLogout, "POST")), "ok");
  EXPECT_EQ(Reason(Authorize(kUnapproved, RouteKind::kOther, "GET")), "not_approved");
  EXPECT_EQ(Reason(Authorize(kUnapproved, RouteKind::kOther, "PATCH")), "not_approved");
  EXPECT_EQ(Authorize(kUnapproved, RouteKind::kOther, "GET").code(), Code::kPermissionDenied);
}

TEST(Authorize, OperatorReadsButDoesNotChange) {
  EXPECT_EQ(Reason(Authorize(kOperator, RouteKind::kOther, "GET")), "ok");
  EXPECT_EQ(Reason(Authorize(kOperator, RouteKind::kOther, "HEAD")), "ok");
  for (const char* m : {"POST", "PUT", "PATCH", "DELETE", "BREW"}) {
    auto s = Authorize(kOperator, RouteKind::kOther, m);
    EXPECT_EQ(s.reason(), "forbidden") << m;
    EXPECT_EQ(s.message(), "admin role required");
  }
  EXPECT_EQ(Reason(Authorize(kOperator, RouteKind::kLogout, "POST")), "ok");
}

TEST(Authorize, AdminDoesEverything) {
  for (const char* m : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    EXPECT_EQ(Reason(Authorize(kAdmin, RouteKind::kOther, m)), "ok") << m;
  }
}

TEST(Csrf, RequiredForMutationsWithASession) {
  EXPECT_FALSE(NeedsCsrf(kAnonymous, RouteKind::kLogout, "POST"));
  EXPECT_FALSE(NeedsCsrf(kAdmin, RouteKind::kOther, "GET"));
  EXPECT_FALSE(NeedsCsrf(kAdmin, RouteKind::kLogin, "POST"));
  EXPECT_FALSE(NeedsCsrf(kAdmin, RouteKind::kRegister, "POST"));
  EXPECT_TRUE(NeedsCsrf(kAdmin, RouteKind::kOther, "DELETE"));
  EXPECT_TRUE(NeedsCsrf(kUnapproved, RouteKind::kLogout, "POST"));
  EXPECT_TRUE(NeedsCsrf(kOperator, RouteKind::kOther, "PATCH"));
}

TEST(Cookies, FindsTheSessionAmongOthers) {
  EXPECT_EQ(CookieValue("vf_session=abc", "vf_session"), "abc");
  EXPECT_EQ(CookieValue("a=1; vf_session=abc; b=2", "vf_session"), "abc");
  EXPECT_EQ(CookieValue("a=1;vf_session=abc;b=2", "vf_session"), "abc");
  EXPECT_EQ(CookieValue("  a=1 ;  vf_session = abc  ", "vf_session"), "abc");
  EXPECT_EQ(CookieValue("a=1, vf_session=abc", "vf_session"), "abc");
  EXPECT_EQ(CookieValue("xvf_session=zzz; vf_session=abc", "vf_session"), "abc");
  EXPECT_EQ(CookieValue("vf_session=\"abc\"", "vf_session"), "abc");
  EXPECT_EQ(CookieValue("vf_session=first; vf_session=second", "vf_session"), "first");
  EXPECT_FALSE(CookieValue("a=1; b=2", "vf_session").has_value());
  EXPECT_FALSE(CookieValue("vf_session=", "vf_session").has_value());
  EXPECT_FALSE(CookieValue("", "vf_session").has_value());
  EXPECT_FALSE(CookieValue("vf_session", "vf_session").has_value());
}

TEST(Cookies, SetCookieAttributes) {
  EXPECT_EQ(SessionCookie("TOKEN", 43200, false),
            "vf_session=TOKEN; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict");
  EXPECT_EQ(SessionCookie("TOKEN", 60, true),
            "vf_session=TOKEN; Path=/; Max-Age=60; HttpOnly; SameSite=Strict; Secure");
  EXPECT_EQ(ClearedSessionCookie(false),
            "vf_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
}

TEST(Cookies, TokenShape) {
  EXPECT_TRUE(LooksLikeSessionToken(std::string(43, 'A')));
  EXPECT_FALSE(LooksLikeSessionToken(std::string(42, 'A')));
  EXPECT_FALSE(LooksLikeSessionToken(std::string(42, 'A') + "="));
  EXPECT_FALSE(LooksLikeSessionToken(std::string(42, 'A') + "'"));
}

TEST(RateLimit, AllowsBelowTheLimits) {
  LoginLimits limits;
  EXPECT_TRUE(DecideLogin({4, 29, std::nullopt, std::nullopt}, limits).allowed);
  EXPECT_TRUE(DecideLogin({}, limits).allowed);
}

TEST(RateLimit, RefusesAtTheUserLimitUntilTheOldestBlockingFailureExpires) {
  LoginLimits limits;  // 5 per user, 30 per address, 900 s
  auto d = DecideLogin({5, 5, 100.0, std::nullopt}, limits);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_s, 800);
}

TEST(RateLimit, RefusesAtTheAddressLimit) {
  LoginLimits limits;
  auto d = DecideLogin({1, 30, std::nullopt, 899.5}, limits);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_s, 1);
}

TEST(RateLimit, WaitsForTheLaterOfBothLimits) {
  LoginLimits limits{3, 10, 60};
  auto d = DecideLogin({3, 10, 50.0, 10.0}, limits);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_s, 50);
}

}  // namespace
}  // namespace vend::cloud::core

namespace vend::cloud::auth {
namespace {

TEST(Password, HashVerifiesOnlyItsPassword) {
  auto h = HashPassword("correct horse battery");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u) << *h;
  EXPECT_TRUE(VerifyPassword("correct horse battery", *h));
  EXPECT_FALSE(VerifyPassword("correct horse batterY", *h));
  EXPECT_FALSE(VerifyPassword("", *h));
  auto h2 = HashPassword("correct horse battery");
  ASSERT_TRUE(h2.ok());
  EXPECT_NE(*h, *h2);  // salted
}

TEST(Password, MalformedHashIsAMismatch) {
  EXPECT_FALSE(VerifyPassword("whatever-password", ""));
  EXPECT_FALSE(VerifyPassword("whatever-password", "not a hash"));
  EXPECT_FALSE(VerifyPassword("whatever-password", DummyHash()));
}

TEST(Tokens, SessionTokensAre43Base64UrlCharsAndDiffer) {
  auto a = NewSessionToken(), b = NewSessionToken();
  EXPECT_TRUE(core::LooksLikeSessionToken(a)) << a;
  EXPECT_NE(a, b);
  EXPECT_EQ(NewCsrfToken().size(), 32u);
}

TEST(Digest, Sha256OfAbc) {
  const std::string d = Sha256("abc");
  ASSERT_EQ(d.size(), 32u);
  EXPECT_EQ(static_cast<unsigned char>(d[0]), 0xba);
  EXPECT_EQ(static_cast<unsigned char>(d[31]), 0xad);
}

TEST(Compare, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace vend::cloud::auth
