// The kiosk UI files: served from the static root and nothing outside it, whatever the
// path looks like.
#include <initializer_list>
#include <string>

#include "kiosk_harness.h"
#include "support/http_client.h"

namespace vend::edge::http_test {
namespace {

class KioskHttpStatic : public KioskHttpTest {};

TEST_F(KioskHttpStatic, ServesIndexAtRoot) {
  const HttpReply r = kiosk().Get("/");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r.body, kIndexHtml);
}

TEST_F(KioskHttpStatic, ServesIndexByName) {
  const HttpReply r = kiosk().Get("/index.html");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body, kIndexHtml);
}

TEST_F(KioskHttpStatic, ServesFilesInSubdirectories) {
  const HttpReply r = kiosk().Get("/images/x.svg");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.Header("Content-Type"), "image/svg+xml");
  EXPECT_EQ(r.body, kImageSvg);
}

TEST_F(KioskHttpStatic, ServesPercentEncodedNames) {
  const HttpReply r = kiosk().Get("/images/%78.svg");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body, kImageSvg);
}

TEST_F(KioskHttpStatic, AnswersHeadWithHeadersOnly) {
  HttpRequestSpec spec;
  spec.method = "HEAD";
  spec.target = "/";
  const HttpReply r = kiosk().http().Send(spec);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_TRUE(r.body.empty());
}

TEST_F(KioskHttpStatic, AnswersDirectoriesWith404) {
  EXPECT_TRUE(IsError(kiosk().Get("/images"), 404, "not_found"));
  EXPECT_TRUE(IsError(kiosk().Get("/images/"), 404, "not_found"));
}

TEST_F(KioskHttpStatic, AnswersPostWith405) {
  const HttpReply r = kiosk().http().Post("/", "application/json", "{}");
  EXPECT_TRUE(IsError(r, 405, "method_not_allowed"));
}

TEST_F(KioskHttpStatic, DoesNotServeHiddenFiles) {
  const HttpReply r = kiosk().Get("/.hidden");
  EXPECT_TRUE(IsError(r, 404, "not_found"));
  EXPECT_EQ(r.body.find("TOP-SECRET"), std::string::npos);
}

TEST_F(KioskHttpStatic, DoesNotFollowSymlinksOutOfTheRoot) {
  const HttpReply r = kiosk().Get("/images/escape.txt");
  EXPECT_TRUE(IsError(r, 404, "not_found"));
  EXPECT_EQ(r.body.find("TOP-SECRET"), std::string::npos);
}

// Each target tries to leave the static root for secret.txt (one level up) or
// /etc/passwd, or to reach a file it must not: a 404 that shows neither file.
class KioskHttpTraversal : public KioskHttpTest {
 protected:
  void ExpectNotFoundAndNothingLeaked(std::initializer_list<const char*> targets) {
    for (const char* target : targets) {
      SCOPED_TRACE(target);
      const HttpReply r = kiosk().Get(target);
      EXPECT_TRUE(IsError(r, 404, "not_found"));
      EXPECT_EQ(r.body.find("TOP-SECRET"), std::string::npos);
      EXPECT_EQ(r.body.find("root:"), std::string::npos);
    }
  }
};

TEST_F(KioskHttpTraversal, RefusesDotDotSegments) {
  ExpectNotFoundAndNothingLeaked(
      {"/../../etc/passwd", "/../secret.txt", "/images/../../secret.txt", "/api/../secret.txt"});
}

TEST_F(KioskHttpTraversal, RefusesPercentEncodedDotDot) {
  ExpectNotFoundAndNothingLeaked({"/%2e%2e/%2e%2e/etc/passwd", "/%2e%2e/secret.txt",
                                  "/%2E%2E/secret.txt", "/.%2e/secret.txt"});
}

TEST_F(KioskHttpTraversal, RefusesPercentEncodedSlashes) {
  ExpectNotFoundAndNothingLeaked({"/images/..%2f..%2fetc/passwd", "/images/..%2fsecret.txt",
                                  "/images/%2e%2e%2f%2e%2e%2fsecret.txt", "/%2fetc%2fpasswd",
                                  "//etc/passwd", "/..%252fsecret.txt"});
}

TEST_F(KioskHttpTraversal, RefusesDotSegmentsEvenInsideTheRoot) {
  ExpectNotFoundAndNothingLeaked({"/./index.html", "/%2e/index.html", "/images/./x.svg"});
}

TEST_F(KioskHttpTraversal, RefusesEncodedNul) {
  ExpectNotFoundAndNothingLeaked(
      {"/index.html%00", "/index.html%00.svg", "/%00", "/images/x.svg%00.html"});
}

TEST_F(KioskHttpTraversal, RefusesEncodedBackslashes) {
  ExpectNotFoundAndNothingLeaked(
      {"/images%5c..%5c..%5csecret.txt", "/%5c..%5csecret.txt", "/images%5cx.svg"});
}

// A raw backslash makes the request target an invalid URI (RFC 3986), which cpprestsdk
// refuses with a plain-text 400 before the kiosk API sees it; either way nothing leaks.
TEST_F(KioskHttpTraversal, RefusesRawBackslashTargetsWithoutServingAnything) {
  for (const char* target : {"/images\\..\\..\\secret.txt", "/..\\secret.txt", "/images\\x.svg"}) {
    const HttpReply r = kiosk().Get(target);
    EXPECT_TRUE(r.status == 400 || r.status == 404) << target << ": " << r;
    EXPECT_EQ(r.body.find("TOP-SECRET"), std::string::npos) << target;
    EXPECT_EQ(r.body.find("<svg"), std::string::npos) << target;
  }
}

}  // namespace
}  // namespace vend::edge::http_test
