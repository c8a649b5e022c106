// Every status of DESIGN.md section 2's error table, each with the JSON error body
// {"error":{"code","message"}}, and each leaving balances, stock, orders and the outbox
// exactly as they were.
#include <chrono>
#include <string>

#include "kiosk_harness.h"
#include "support/http_client.h"

namespace vend::edge::http_test {
namespace {

using nlohmann::json;
using test_support::UrlEncode;

class KioskHttpErrors : public KioskHttpTest {
 protected:
  std::string AddBalanceTarget(const Customer& c) const {
    return "/api/v1/users/" + std::to_string(c.id) + "/add_balance";
  }
};

// 400

TEST_F(KioskHttpErrors, RejectsMalformedJsonWith400) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  const HttpReply r = kiosk().http().PostJson(AddBalanceTarget(c),
                                              "{\"user_name\":\"" + c.user_name + "\",\"amount\":");
  EXPECT_TRUE(IsError(r, 400, "bad_request"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, RejectsJsonArrayBodyWith400) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  const HttpReply r = kiosk().PostJson(
      AddBalanceTarget(c), json::array({{{"user_name", c.user_name}, {"amount", 100}}}));
  EXPECT_TRUE(IsError(r, 400, "bad_request"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, RejectsMissingAmountWith400) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  const HttpReply r = kiosk().PostJson(AddBalanceTarget(c), {{"user_name", c.user_name}});
  EXPECT_TRUE(IsError(r, 400, "bad_request"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, RejectsAmountAsJsonStringWith400) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  const HttpReply r =
      kiosk().PostJson(AddBalanceTarget(c), {{"user_name", c.user_name}, {"amount", "100"}});
  EXPECT_TRUE(IsError(r, 400, "bad_request"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, RejectsFractionalAmountWith400) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  const HttpReply r =
      kiosk().PostJson(AddBalanceTarget(c), {{"user_name", c.user_name}, {"amount", 1.5}});
  EXPECT_TRUE(IsError(r, 400, "bad_request"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, RejectsBuyWhoseProductIdDiffersFromThePathWith400) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  const HttpReply r = kiosk().Buy(c, kCola, {{"product_id", kWater}});
  EXPECT_TRUE(IsError(r, 400, "bad_request"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, RejectsRefundWhoseProductIdDiffersFromThePathWith400) {
  const Customer c = kiosk().NewCustomer(500);
  ASSERT_EQ(kiosk().Buy(c, kCola).status, 201);
  const Observed before = Observe(c);
  const HttpReply r = kiosk().Refund(c, kCola, {{"product_id", kWater}});
  EXPECT_TRUE(IsError(r, 400, "bad_request"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, RejectsRefundOfAnOrderForAnotherProductWith400) {
  const Customer c = kiosk().NewCustomer(500);
  const HttpReply water = kiosk().Buy(c, kWater);
  ASSERT_EQ(water.status, 201) << water;
  const Observed before = Observe(c);
  const HttpReply r = kiosk().Refund(c, kCola, {{"order_id", JsonOf(water)["order"]["id"]}});
  EXPECT_TRUE(IsError(r, 400, "bad_request"));
  EXPECT_EQ(Observe(c), before);
}

// 401

TEST_F(KioskHttpErrors, RejectsUserCreationWithoutUserNameWith401) {
  EXPECT_TRUE(IsError(kiosk().PostJson("/api/v1/users", json::object()), 401, "unauthorized"));
}

TEST_F(KioskHttpErrors, RejectsEmptyUserNameWith401) {
  EXPECT_TRUE(IsError(kiosk().PostJson("/api/v1/users", {{"user_name", ""}}), 401, "unauthorized"));
}

TEST_F(KioskHttpErrors, RejectsNullUserNameWith401) {
  EXPECT_TRUE(
      IsError(kiosk().PostJson("/api/v1/users", {{"user_name", nullptr}}), 401, "unauthorized"));
}

TEST_F(KioskHttpErrors, RejectsGetUserWithoutUserNameWith401) {
  const Customer c = kiosk().NewCustomer();
  EXPECT_TRUE(IsError(kiosk().Get("/api/v1/users/" + std::to_string(c.id)), 401, "unauthorized"));
}

TEST_F(KioskHttpErrors, RejectsBuyWithoutUserNameWith401) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  EXPECT_TRUE(
      IsError(kiosk().PostJson("/api/v1/products/1/buy", json::object()), 401, "unauthorized"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, RejectsBuyWithEmptyUserNameWith401) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  EXPECT_TRUE(
      IsError(kiosk().PostForm("/api/v1/products/1/buy", "user_name="), 401, "unauthorized"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, RejectsDepositWithoutUserNameWith401) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  EXPECT_TRUE(
      IsError(kiosk().PostJson(AddBalanceTarget(c), {{"amount", 100}}), 401, "unauthorized"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, RejectsOrdersWithoutUserNameWith401) {
  const Customer c = kiosk().NewCustomer();
  EXPECT_TRUE(IsError(kiosk().Get("/api/v1/users/" + std::to_string(c.id) + "/orders"), 401,
                      "unauthorized"));
}

// 403

TEST_F(KioskHttpErrors, RejectsReadingAnotherUsersAccountWith403) {
  const Customer owner = kiosk().NewCustomer(500);
  const Customer other = kiosk().NewCustomer();
  const HttpReply r = kiosk().Get(UserTarget({owner.id, other.user_name}));
  EXPECT_TRUE(IsError(r, 403, "forbidden"));
  EXPECT_EQ(r.body.find(owner.user_name), std::string::npos) << "leaks the owner's name";
}

TEST_F(KioskHttpErrors, RejectsDepositingToAnotherUsersAccountWith403) {
  const Customer owner = kiosk().NewCustomer(500);
  const Customer other = kiosk().NewCustomer(500);
  const Observed before = Observe(owner);
  const HttpReply r =
      kiosk().PostJson(AddBalanceTarget(owner), {{"user_name", other.user_name}, {"amount", 100}});
  EXPECT_TRUE(IsError(r, 403, "forbidden"));
  EXPECT_EQ(Observe(owner), before);
  EXPECT_EQ(kiosk().Balance(other), 500);
}

TEST_F(KioskHttpErrors, RejectsListingAnotherUsersOrdersWith403) {
  const Customer owner = kiosk().NewCustomer(500);
  ASSERT_EQ(kiosk().Buy(owner, kCola).status, 201);
  const Customer other = kiosk().NewCustomer();
  const HttpReply r = kiosk().Get(UserTarget({owner.id, other.user_name}, "/orders"));
  EXPECT_TRUE(IsError(r, 403, "forbidden"));
}

TEST_F(KioskHttpErrors, RejectsRefundOfAnotherUsersOrderWith403) {
  const Customer owner = kiosk().NewCustomer(500);
  const HttpReply bought = kiosk().Buy(owner, kCola);
  ASSERT_EQ(bought.status, 201) << bought;
  const Customer thief = kiosk().NewCustomer();
  const Observed owner_before = Observe(owner);
  const Observed thief_before = Observe(thief);

  const HttpReply r = kiosk().Refund(thief, kCola, {{"order_id", JsonOf(bought)["order"]["id"]}});
  EXPECT_TRUE(IsError(r, 403, "forbidden"));
  EXPECT_EQ(Observe(owner), owner_before);
  EXPECT_EQ(Observe(thief), thief_before);
}

// 404

TEST_F(KioskHttpErrors, AnswersUnknownProductWith404) {
  EXPECT_TRUE(IsError(kiosk().Get("/api/v1/products/999999"), 404, "not_found"));
}

TEST_F(KioskHttpErrors, RejectsBuyingAnUnknownProductWith404) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  EXPECT_TRUE(IsError(kiosk().Buy(c, 999999), 404, "not_found"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, RejectsRefundOfAnUnknownProductWith404) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  EXPECT_TRUE(IsError(kiosk().Refund(c, 999999), 404, "not_found"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, AnswersUnknownUserIdWith404) {
  const Customer c = kiosk().NewCustomer();
  EXPECT_TRUE(IsError(kiosk().Get(UserTarget({999999, c.user_name})), 404, "not_found"));
}

TEST_F(KioskHttpErrors, RejectsBuyByAnUnknownUserNameWith404) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  EXPECT_TRUE(
      IsError(kiosk().Buy({c.id, KioskClient::UniqueName("nobody")}, kCola), 404, "not_found"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, RejectsRefundOfAnUnknownOrderWith404) {
  const Customer c = kiosk().NewCustomer(500);
  ASSERT_EQ(kiosk().Buy(c, kCola).status, 201);
  const Observed before = Observe(c);
  EXPECT_TRUE(IsError(kiosk().Refund(c, kCola, {{"order_id", 999999}}), 404, "not_found"));
  EXPECT_TRUE(IsError(kiosk().Refund(c, kCola, {{"order_id", 0}}), 404, "not_found"));
  EXPECT_TRUE(IsError(kiosk().Refund(c, kCola, {{"order_id", -1}}), 404, "not_found"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, RejectsRefundWithNoOrderOfThatProductWith404) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  EXPECT_TRUE(IsError(kiosk().Refund(c, kCola), 404, "not_found"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, AnswersUnknownApiRoutesWith404) {
  for (const char* target :
       {"/api/v1/nope", "/api/v1", "/api", "/api/v1/products/1/steal", "/api/v1/users/1/x",
        "/api/v1/products/1/buy/extra", "/api/v1/users/1/orders/1/x"}) {
    EXPECT_TRUE(IsError(kiosk().Get(target), 404, "not_found")) << target;
  }
}

TEST_F(KioskHttpErrors, AnswersUnknownApiVersionWith404) {
  EXPECT_TRUE(IsError(kiosk().Get("/api/v2/products"), 404, "not_found"));
  EXPECT_TRUE(IsError(kiosk().Get("/api/v0/products/1"), 404, "not_found"));
}

TEST_F(KioskHttpErrors, AnswersNonNumericIdsWith404) {
  for (const char* target :
       {"/api/v1/products/abc", "/api/v1/products/-1", "/api/v1/products/0", "/api/v1/products/01",
        "/api/v1/products/1.0", "/api/v1/products/1e2", "/api/v1/products/%31",
        "/api/v1/products/99999999999999999999", "/api/v1/users/abc"}) {
    EXPECT_TRUE(IsError(kiosk().Get(target), 404, "not_found")) << target;
  }
}

TEST_F(KioskHttpErrors, AnswersUnknownStaticFileWith404) {
  EXPECT_TRUE(IsError(kiosk().Get("/no-such-file.html"), 404, "not_found"));
}

// 402

TEST_F(KioskHttpErrors, BuyRejectsWhenBalanceTooLow) {
  const Customer c = kiosk().NewCustomer(kColaPrice - 1);
  const Observed before = Observe(c);
  EXPECT_TRUE(IsError(kiosk().Buy(c, kCola), 402, "insufficient_funds"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, BuyAcceptsBalanceOfExactlyThePrice) {
  const Customer c = kiosk().NewCustomer(kColaPrice);
  const HttpReply r = kiosk().Buy(c, kCola);
  ASSERT_EQ(r.status, 201) << r;
  EXPECT_EQ(JsonOf(r)["balance"], 0);
}

// 409

TEST_F(KioskHttpErrors, BuyRejectsWhenOutOfStock) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  EXPECT_TRUE(IsError(kiosk().Buy(c, kSoldOut), 409, "out_of_stock"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, OutOfStockWinsOverTooLowBalance) {
  const Customer c = kiosk().NewCustomer();
  EXPECT_TRUE(IsError(kiosk().Buy(c, kSoldOut), 409, "out_of_stock"));
}

TEST_F(KioskHttpErrors, RefundRejectsNonRefundableProduct) {
  const Customer c = kiosk().NewCustomer(500);
  ASSERT_EQ(kiosk().Buy(c, kWater).status, 201);
  const Observed before = Observe(c);
  EXPECT_TRUE(IsError(kiosk().Refund(c, kWater), 409, "not_refundable"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, RefundRejectsAnAlreadyRefundedOrder) {
  const Customer c = kiosk().NewCustomer(500);
  const HttpReply bought = kiosk().Buy(c, kCola);
  ASSERT_EQ(bought.status, 201) << bought;
  const json order_id = {{"order_id", JsonOf(bought)["order"]["id"]}};
  ASSERT_EQ(kiosk().Refund(c, kCola, order_id).status, 200);
  const Observed before = Observe(c);
  EXPECT_TRUE(IsError(kiosk().Refund(c, kCola, order_id), 409, "already_refunded"));
  EXPECT_TRUE(IsError(kiosk().Refund(c, kCola), 409, "already_refunded"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, RejectsIdempotencyKeyReusedForAnotherProduct) {
  const Customer c = kiosk().NewCustomer(500);
  const json key = {{"idempotency_key", KioskClient::UniqueName("key")}};
  ASSERT_EQ(kiosk().Buy(c, kCola, key).status, 201);
  const Observed before = Observe(c);
  EXPECT_TRUE(IsError(kiosk().Buy(c, kWater, key), 409, "idempotency_conflict"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, RejectsIdempotencyKeyReusedByAnotherCustomer) {
  const Customer first = kiosk().NewCustomer(500);
  const Customer second = kiosk().NewCustomer(500);
  const json key = {{"idempotency_key", KioskClient::UniqueName("key")}};
  ASSERT_EQ(kiosk().Buy(first, kCola, key).status, 201);
  const Observed before = Observe(second);
  const HttpReply r = kiosk().Buy(second, kCola, key);
  EXPECT_TRUE(IsError(r, 409, "idempotency_conflict"));
  EXPECT_EQ(Observe(second), before);
}

// 413

TEST_F(KioskHttpErrors, RejectsBodyOverTheLimitWith413) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  json body = {{"user_name", c.user_name}, {"amount", 100}};
  body["padding"] = std::string(kMaxBody, 'x');
  const HttpReply r = kiosk().PostJson(AddBalanceTarget(c), body);
  EXPECT_TRUE(IsError(r, 413, "payload_too_large"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, RejectsChunkedBodyOverTheLimitWith413) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  json body = {{"user_name", c.user_name}, {"amount", 100}};
  body["padding"] = std::string(kMaxBody, 'x');
  HttpRequestSpec spec;
  spec.method = "POST";
  spec.target = AddBalanceTarget(c);
  spec.headers.emplace_back("Content-Type", "application/json");
  spec.body = body.dump();
  spec.chunked = true;
  EXPECT_TRUE(IsError(kiosk().http().Send(spec), 413, "payload_too_large"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, AcceptsBodyOfExactlyTheLimit) {
  const Customer c = kiosk().NewCustomer();
  json body = {{"user_name", c.user_name}, {"amount", 100}, {"padding", ""}};
  const size_t overhead = body.dump().size();
  body["padding"] = std::string(kMaxBody - overhead, 'x');
  ASSERT_EQ(body.dump().size(), kMaxBody);
  const HttpReply r = kiosk().PostJson(AddBalanceTarget(c), body);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(kiosk().Balance(c), 100);
}

// 415

TEST_F(KioskHttpErrors, RejectsTextPlainBodyWith415) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  const std::string form = "user_name=" + UrlEncode(c.user_name) + "&amount=100";
  EXPECT_TRUE(IsError(kiosk().http().Post(AddBalanceTarget(c), "text/plain", form), 415,
                      "unsupported_media_type"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, RejectsBodyWithoutContentTypeWith415) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  HttpRequestSpec spec;
  spec.method = "POST";
  spec.target = "/api/v1/products/1/buy";
  spec.body = json{{"user_name", c.user_name}}.dump();
  EXPECT_TRUE(IsError(kiosk().http().Send(spec), 415, "unsupported_media_type"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpErrors, AcceptsJsonContentTypeWithParametersAndAnyCase) {
  const Customer c = kiosk().NewCustomer();
  const HttpReply r = kiosk().http().Post(AddBalanceTarget(c), "Application/JSON; charset=utf-8",
                                          json{{"user_name", c.user_name}, {"amount", 5}}.dump());
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(kiosk().Balance(c), 5);
}

// 405 (not in the table, but still the JSON error shape)

TEST_F(KioskHttpErrors, AnswersWrongMethodWith405AndAllow) {
  const HttpReply r = kiosk().http().Post("/api/v1/products", "application/json", "{}");
  EXPECT_TRUE(IsError(r, 405, "method_not_allowed"));
  EXPECT_EQ(r.Header("Allow"), "GET, HEAD");
  const HttpReply get_buy = kiosk().Get("/api/v1/products/1/buy");
  EXPECT_TRUE(IsError(get_buy, 405, "method_not_allowed"));
  EXPECT_EQ(get_buy.Header("Allow"), "POST");
}

}  // namespace
}  // namespace vend::edge::http_test
