#include "http/params.h"

#include <gtest/gtest.h>

namespace vend::edge::http {
namespace {

HttpRequest Req(std::string content_type, std::string body, std::string query = "") {
  HttpRequest r;
  r.method = "POST";
  r.path = "/x";
  r.query = std::move(query);
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

TEST(Params, ReadsJsonBody) {
  auto p = Params::FromRequest(Req("application/json", R"({"user_name":"a","amount":150})"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(**p->String("user_name"), "a");
  EXPECT_EQ(**p->Int("amount"), 150);
}

TEST(Params, ReadsFormBodyAndQuery) {
  auto p = Params::FromRequest(Req("application/x-www-form-urlencoded; charset=utf-8",
                                   "user_name=Zo%C3%AB+X&amount=-7", "amount=9&product_id=3"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(**p->String("user_name"), "Zoë X");
  EXPECT_EQ(**p->Int("amount"), -7);  // body wins over query
  EXPECT_EQ(**p->Int("product_id"), 3);
}

TEST(Params, MissingIsEmptyNotError) {
  auto p = Params::FromRequest(Req("", ""));
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->String("user_name")->has_value());
  EXPECT_FALSE(p->Int("amount")->has_value());
}

TEST(Params, RejectsMalformedJsonAndNonObjects) {
  EXPECT_EQ(Params::FromRequest(Req("application/json", "{")).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Params::FromRequest(Req("application/json", "[1]")).status().code(),
            Code::kInvalidArgument);
}

TEST(Params, RejectsUnsupportedContentType) {
  EXPECT_EQ(Params::FromRequest(Req("text/plain", "hi")).status().code(), Code::kUnsupportedMedia);
  EXPECT_EQ(Params::FromRequest(Req("", "hi")).status().code(), Code::kUnsupportedMedia);
}

TEST(Params, RejectsIllTypedJsonValues) {
  auto p = Params::FromRequest(
      Req("application/json", R"({"user_name":5,"amount":"150","a":1.5,"b":true})"));
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->String("user_name").ok());
  EXPECT_FALSE(p->Int("amount").ok());
  EXPECT_FALSE(p->Int("a").ok());
  EXPECT_FALSE(p->Int("b").ok());
}

TEST(Params, RejectsIntegersPastInt64) {
  auto p = Params::FromRequest(
      Req("application/json", R"({"a":9223372036854775808,"b":-9223372036854775809})"));
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->Int("a").ok());
  EXPECT_FALSE(p->Int("b").ok());
  auto f = Params::FromRequest(Req("", "", "a=9223372036854775808&b=-9223372036854775808&c=1x"));
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->Int("a").ok());
  EXPECT_EQ(**f->Int("b"), INT64_MIN);
  EXPECT_FALSE(f->Int("c").ok());
}

TEST(Params, RejectsBadPercentEscapes) {
  EXPECT_FALSE(Params::FromRequest(Req("", "", "a=%zz")).ok());
  EXPECT_FALSE(Params::FromRequest(Req("", "", "a=%4")).ok());
}

}  // namespace
}  // namespace vend::edge::http
