// Hostile and malformed input: answered with the right 4xx and changing nothing, and
// names that look like injections or are not ASCII treated as plain data.
//
// Each test covers one behaviour over a list of inputs; SCOPED_TRACE names the input of
// any failure.
#include <cctype>
#include <string>
#include <variant>
#include <vector>

#include "kiosk_harness.h"
#include "support/http_client.h"

namespace vend::edge::http_test {
namespace {

using nlohmann::json;
using test_support::UrlEncode;

std::string DepositTarget(const Customer& c) {
  return "/api/v1/users/" + std::to_string(c.id) + "/add_balance";
}

const std::vector<std::string> kInjectionLookingNames = {
    "' OR '1'='1", "\"; DROP TABLE customers; --", "admin'--",  "%",       "_",
    "*",           "<script>alert(1)</script>",    "a\"b\\c'd", "a+b&c=d", "../../etc/passwd"};

const std::vector<std::string> kNonAsciiNames = {"Zo\xc3\xab",                        // Zoë
                                                 "\xe9\xa1\xa7\xe5\xae\xa2",          // 顧客
                                                 "\xf0\x9f\xa5\xa4\xf0\x9f\x98\x80",  // two emoji
                                                 "zero\xe2\x80\x8bwidth",  // U+200B inside
                                                 "  two  spaces  "};

const std::vector<std::string> kInvalidUtf8 = {
    "\xff",              // never valid
    "\xc3\x28",          // bad continuation byte
    "\xe9\xa1",          // truncated sequence
    "\xc0\xaf",          // overlong '/'
    "\xed\xa0\x80",      // UTF-16 surrogate
    "\xf4\x90\x80\x80",  // past U+10FFFF
};

const std::vector<std::string> kControlCharacters = {
    std::string("a\0b", 3),
    "a\nb",
    "a\rb",
    "a\tb",
    "\x7f",
    "\x1b[31m",
    "\xc2\x85",  // C1 control U+0085
};

class KioskHttpInput : public KioskHttpTest {
 protected:
  // POSTs add_balance for `c` with `amount` written verbatim into the JSON body, so
  // values past int64 or double reach the server exactly as typed.
  HttpReply DepositJsonLiteral(const Customer& c, const std::string& amount) const {
    return kiosk().http().PostJson(DepositTarget(c), "{\"user_name\":" + json(c.user_name).dump() +
                                                         ",\"amount\":" + amount + "}");
  }
  HttpReply DepositFormText(const Customer& c, const std::string& amount) const {
    return kiosk().PostForm(DepositTarget(c),
                            "user_name=" + UrlEncode(c.user_name) + "&amount=" + UrlEncode(amount));
  }

  // Expects every amount to be a 400 in a JSON body and (when `form` is set) in a form
  // body, with nothing changed.
  void ExpectAmountsRejected(const std::vector<std::string>& amounts, bool form) {
    const Customer c = kiosk().NewCustomer(500);
    const Observed before = Observe(c);
    for (const std::string& amount : amounts) {
      SCOPED_TRACE("amount " + amount);
      EXPECT_TRUE(IsError(DepositJsonLiteral(c, amount), 400, "bad_request")) << "JSON";
      if (form) {
        EXPECT_TRUE(IsError(DepositFormText(c, amount), 400, "bad_request")) << "form";
      }
    }
    EXPECT_EQ(Observe(c), before);
  }

  // Expects a user_name to be a 400 when creating, reading, depositing and buying.
  void ExpectUserNameRejectedEverywhere(const std::string& name) {
    const Customer c = kiosk().NewCustomer(500);
    const Observed before = Observe(c);
    const std::string form = "user_name=" + UrlEncode(name);
    EXPECT_TRUE(IsError(kiosk().PostForm("/api/v1/users", form), 400, "bad_request")) << "create";
    EXPECT_TRUE(IsError(kiosk().Get(UserTarget({c.id, name})), 400, "bad_request")) << "read";
    EXPECT_TRUE(
        IsError(kiosk().PostForm(DepositTarget(c), form + "&amount=100"), 400, "bad_request"))
        << "deposit";
    EXPECT_TRUE(IsError(kiosk().PostForm("/api/v1/products/1/buy", form), 400, "bad_request"))
        << "buy";
    EXPECT_EQ(Observe(c), before);
  }

  // Creates `name` (201), creates it again through a form body (200, same customer) and
  // reads it back through the query string: the same bytes every time.
  void ExpectNameRoundTrips(const std::string& name) {
    const HttpReply created = kiosk().CreateUser(name);
    ASSERT_EQ(created.status, 201) << created;
    EXPECT_EQ(JsonOf(created)["user_name"].get<std::string>(), name);
    const Customer c{JsonOf(created)["id"].get<int64_t>(), name};

    const HttpReply again = kiosk().PostForm("/api/v1/users", "user_name=" + UrlEncode(name));
    ASSERT_EQ(again.status, 200) << again;
    EXPECT_EQ(JsonOf(again)["id"], c.id);

    const HttpReply read = kiosk().Get(UserTarget(c));
    ASSERT_EQ(read.status, 200) << read;
    EXPECT_EQ(JsonOf(read)["user_name"].get<std::string>(), name);
  }

  // A customer named `name` cannot read, fund, list or refund a victim's account, nor
  // the victim theirs.
  void ExpectNameOpensNoOtherAccount(const std::string& name) {
    auto product = server().AddProduct(KioskClient::UniqueName("product"), 100, 1, true);
    ASSERT_TRUE(product.ok()) << product.status().ToString();
    const Customer victim = kiosk().NewCustomer(500);
    ASSERT_EQ(kiosk().Buy(victim, *product).status, 201);
    const HttpReply created = kiosk().CreateUser(name);
    ASSERT_TRUE(created.status == 201 || created.status == 200) << created;
    const Customer attacker{JsonOf(created)["id"].get<int64_t>(), name};
    const Observed before = Observe(victim);

    const Customer as_victim{victim.id, attacker.user_name};
    EXPECT_TRUE(IsError(kiosk().Get(UserTarget(as_victim)), 403, "forbidden"));
    EXPECT_TRUE(IsError(kiosk().Get(UserTarget(as_victim, "/orders")), 403, "forbidden"));
    EXPECT_TRUE(IsError(kiosk().Deposit(as_victim, 100), 403, "forbidden"));
    const json victims_order = {{"order_id", kiosk().Orders(victim)[0]["id"]}};
    EXPECT_TRUE(IsError(kiosk().Refund(attacker, *product, victims_order), 403, "forbidden"));
    EXPECT_TRUE(
        IsError(kiosk().Get(UserTarget({attacker.id, victim.user_name})), 403, "forbidden"));
    EXPECT_EQ(Observe(victim), before);
  }
};

// Amounts

TEST_F(KioskHttpInput, RejectsNonPositiveAmounts) {
  ExpectAmountsRejected({"0", "-1", "-0"}, true);
}

TEST_F(KioskHttpInput, RejectsAmountsOverTheCap) {
  ExpectAmountsRejected({"100001", "9223372036854775807"}, true);
}

TEST_F(KioskHttpInput, RejectsAmountsPastInt64) {
  ExpectAmountsRejected({"9223372036854775808", "-9223372036854775809", "18446744073709551616",
                         "99999999999999999999999999"},
                        true);
}

TEST_F(KioskHttpInput, RejectsAmountPastDoubleRange) { ExpectAmountsRejected({"1e400"}, true); }

TEST_F(KioskHttpInput, RejectsNonIntegerJsonAmounts) {
  ExpectAmountsRejected(
      {"1.5", "100.0", "1e2", "\"100\"", "true", "[100]", "{\"cents\":100}", "null"},
      /*form=*/false);
}

TEST_F(KioskHttpInput, RejectsMalformedFormAmounts) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  for (const std::string amount :
       {"", "abc", "1.5", "+5", " 5", "5 ", "0x10", "-", "1_000", "00000000000000000100",
        "\xef\xbc\x91\xef\xbc\x90" /* fullwidth 10 */}) {
    SCOPED_TRACE("amount '" + amount + "'");
    EXPECT_TRUE(IsError(DepositFormText(c, amount), 400, "bad_request"));
  }
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpInput, RejectsAmountPastInt64InTheQueryString) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  const HttpReply r = kiosk().http().Post(
      UserTarget(c, "/add_balance") + "&amount=9223372036854775808", "application/json", "");
  EXPECT_TRUE(IsError(r, 400, "bad_request"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpInput, RejectsMalformedPercentEscapeWith400) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  const HttpReply r =
      kiosk().PostForm(DepositTarget(c), "user_name=" + UrlEncode(c.user_name) + "&amount=1%G0");
  EXPECT_TRUE(IsError(r, 400, "bad_request"));
  EXPECT_EQ(Observe(c), before);
}

// Other fields of the wrong type or shape

TEST_F(KioskHttpInput, RejectsProductIdAsJsonStringWith400) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  EXPECT_TRUE(IsError(kiosk().Buy(c, kCola, {{"product_id", "1"}}), 400, "bad_request"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpInput, RejectsOrderIdAsJsonStringWith400) {
  const Customer c = kiosk().NewCustomer(500);
  const HttpReply bought = kiosk().Buy(c, kCola);
  ASSERT_EQ(bought.status, 201) << bought;
  const Observed before = Observe(c);
  const std::string order_id = std::to_string(JsonOf(bought)["order"]["id"].get<int64_t>());
  EXPECT_TRUE(IsError(kiosk().Refund(c, kCola, {{"order_id", order_id}}), 400, "bad_request"));
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpInput, RejectsBadIdempotencyKeysWith400) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  for (const json& key :
       {json(7), json(""), json(std::string(129, 'k')), json("key\nX"), json::array({"k"})}) {
    SCOPED_TRACE("idempotency_key " + key.dump());
    EXPECT_TRUE(IsError(kiosk().Buy(c, kCola, {{"idempotency_key", key}}), 400, "bad_request"));
  }
  EXPECT_EQ(Observe(c), before);
}

TEST_F(KioskHttpInput, AcceptsUnicodeIdempotencyKeyOf128Bytes) {
  const Customer c = kiosk().NewCustomer(500);
  std::string key = KioskClient::UniqueName("k");
  while (key.size() + 3 <= 128) key += "\xe9\xa1\xa7";
  key += std::string(128 - key.size(), 'k');
  const HttpReply first = kiosk().Buy(c, kCola, {{"idempotency_key", key}});
  ASSERT_EQ(first.status, 201) << first;
  const HttpReply again = kiosk().Buy(c, kCola, {{"idempotency_key", key}});
  ASSERT_EQ(again.status, 201) << again;
  EXPECT_EQ(JsonOf(again)["order"]["id"], JsonOf(first)["order"]["id"]);
}

TEST_F(KioskHttpInput, RejectsDeeplyNestedJsonWith400AndKeepsServing) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  constexpr size_t kDepth = 30000;  // fits the 64 KiB limit
  const std::string nested = std::string(kDepth, '[') + std::string(kDepth, ']');
  EXPECT_TRUE(IsError(kiosk().http().PostJson(DepositTarget(c), nested), 400, "bad_request"));
  EXPECT_TRUE(IsError(DepositJsonLiteral(c, nested), 400, "bad_request"));
  EXPECT_EQ(Observe(c), before);
}

// user_name of the wrong JSON type: 400, not 401, and never a customer or a change.

TEST_F(KioskHttpInput, RejectsUserNameOfWrongJsonTypeWith400) {
  const Customer c = kiosk().NewCustomer(500);
  const Observed before = Observe(c);
  for (const char* name : {"42", "{}", "[\"a\"]", "true", "1.5"}) {
    SCOPED_TRACE(std::string("user_name ") + name);
    const std::string field = std::string("\"user_name\":") + name;
    EXPECT_TRUE(
        IsError(kiosk().http().PostJson("/api/v1/users", "{" + field + "}"), 400, "bad_request"))
        << "create";
    EXPECT_TRUE(IsError(kiosk().http().PostJson("/api/v1/products/1/buy", "{" + field + "}"), 400,
                        "bad_request"))
        << "buy";
    EXPECT_TRUE(IsError(kiosk().http().PostJson(DepositTarget(c), "{" + field + ",\"amount\":1}"),
                        400, "bad_request"))
        << "deposit";
  }
  EXPECT_EQ(Observe(c), before);
}

// Names are data

TEST_F(KioskHttpInput, InjectionLookingNamesRoundTripAsData) {
  for (const std::string& name : kInjectionLookingNames) {
    SCOPED_TRACE("user_name " + name);
    ExpectNameRoundTrips(name);
  }
}

TEST_F(KioskHttpInput, NonAsciiNamesRoundTripExactly) {
  for (const std::string& name : kNonAsciiNames) {
    SCOPED_TRACE("user_name " + name);
    ExpectNameRoundTrips(name);
  }
}

TEST_F(KioskHttpInput, InjectionLookingNamesOpenNoOtherAccount) {
  for (const std::string& name : kInjectionLookingNames) {
    SCOPED_TRACE("user_name " + name);
    ExpectNameOpensNoOtherAccount(name);
  }
}

TEST_F(KioskHttpInput, NonAsciiNamesOpenNoOtherAccount) {
  for (const std::string& name : kNonAsciiNames) {
    SCOPED_TRACE("user_name " + name);
    ExpectNameOpensNoOtherAccount(name);
  }
}

TEST_F(KioskHttpInput, TreatsComposedAndDecomposedNamesAsDifferentCustomers) {
  const std::string tag = KioskClient::UniqueName("-");
  const HttpReply composed = kiosk().CreateUser("Zo\xc3\xab" + tag);     // U+00EB
  const HttpReply decomposed = kiosk().CreateUser("Zoe\xcc\x88" + tag);  // e + U+0308
  ASSERT_EQ(composed.status, 201) << composed;
  ASSERT_EQ(decomposed.status, 201) << decomposed;
  EXPECT_NE(JsonOf(composed)["id"], JsonOf(decomposed)["id"]);
  const Customer cross{JsonOf(composed)["id"].get<int64_t>(), "Zoe\xcc\x88" + tag};
  EXPECT_TRUE(IsError(kiosk().Get(UserTarget(cross)), 403, "forbidden"));
}

TEST_F(KioskHttpInput, TreatsNamesDifferingInCaseOrSpaceAsDifferentCustomers) {
  const std::string name = KioskClient::UniqueName("Alice");
  const HttpReply original = kiosk().CreateUser(name);
  ASSERT_EQ(original.status, 201) << original;
  const Customer c{JsonOf(original)["id"].get<int64_t>(), name};
  std::string upper = name;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  for (const std::string& other : {upper, name + " ", " " + name}) {
    SCOPED_TRACE("user_name '" + other + "'");
    const HttpReply r = kiosk().CreateUser(other);
    EXPECT_EQ(r.status, 201) << r;
    EXPECT_TRUE(IsError(kiosk().Get(UserTarget({c.id, other})), 403, "forbidden"));
  }
}

// The outbox must carry whatever name the API accepted, or one customer would block the
// sync of every later event.
TEST_F(KioskHttpInput, KeepsOutboxReadableForLongNonAsciiNames) {
  std::string name = KioskClient::UniqueName("e");
  while (name.size() + 4 <= 128) name += "\xf0\x9f\xa5\xa4";
  name += std::string(128 - name.size(), 'e');
  const int64_t seq_before = store().Outbox()->last_seq;
  const HttpReply created = kiosk().CreateUser(name);
  ASSERT_EQ(created.status, 201) << created;
  const Customer c{JsonOf(created)["id"].get<int64_t>(), name};
  ASSERT_EQ(kiosk().Deposit(c, 500).status, 200);
  ASSERT_EQ(kiosk().Buy(c, kCola).status, 201);
  ASSERT_EQ(kiosk().Refund(c, kCola).status, 200);

  auto events = store().PendingEvents(seq_before, 100);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  std::vector<std::string> names;
  for (const auto& e : *events) {
    if (const auto* d = std::get_if<schemas::BalanceDeposited>(&e.data))
      names.push_back(d->user_name);
    if (const auto* o = std::get_if<schemas::OrderCreated>(&e.data)) names.push_back(o->user_name);
    if (const auto* r = std::get_if<schemas::OrderRefunded>(&e.data)) names.push_back(r->user_name);
  }
  EXPECT_EQ(names, std::vector<std::string>(3, name));  // deposited, created, refunded
}

// Names that are not printable UTF-8 or too long

TEST_F(KioskHttpInput, RejectsInvalidUtf8UserNameWith400) {
  for (const std::string& bytes : kInvalidUtf8) {
    SCOPED_TRACE("user_name bytes %" + UrlEncode(bytes));
    ExpectUserNameRejectedEverywhere("n" + bytes);
  }
}

TEST_F(KioskHttpInput, RejectsControlCharactersInUserNameWith400) {
  for (const std::string& bytes : kControlCharacters) {
    SCOPED_TRACE("user_name bytes " + UrlEncode(bytes));
    ExpectUserNameRejectedEverywhere("n" + bytes);
  }
}

TEST_F(KioskHttpInput, RejectsJsonEscapedControlCharactersInUserNameWith400) {
  for (const char* body : {R"({"user_name":"a\u0000b"})", R"({"user_name":"a\u0001b"})",
                           R"({"user_name":"line\nbreak"})", R"({"user_name":"\u007f"})",
                           R"({"user_name":"\u0085"})"}) {
    SCOPED_TRACE(body);
    EXPECT_TRUE(IsError(kiosk().http().PostJson("/api/v1/users", body), 400, "bad_request"));
  }
}

TEST_F(KioskHttpInput, RejectsInvalidUtf8InsideJsonWith400) {
  EXPECT_TRUE(IsError(kiosk().http().PostJson("/api/v1/users", "{\"user_name\":\"a\xff\"}"), 400,
                      "bad_request"));
}

TEST_F(KioskHttpInput, AcceptsUserNameOf128Bytes) {
  const std::string tag = KioskClient::UniqueName("n");
  const std::string name = tag + std::string(128 - tag.size(), 'x');
  const HttpReply r = kiosk().CreateUser(name);
  ASSERT_EQ(r.status, 201) << r;
  EXPECT_EQ(JsonOf(r)["user_name"].get<std::string>(), name);
}

TEST_F(KioskHttpInput, RejectsUserNameOver128BytesWith400) {
  ExpectUserNameRejectedEverywhere(std::string(129, 'x'));
}

TEST_F(KioskHttpInput, CountsUserNameLengthInBytesNotCharacters) {
  std::string cjk;
  for (int i = 0; i < 43; ++i) cjk += "\xe9\xa1\xa7";  // 43 characters, 129 bytes
  EXPECT_TRUE(IsError(kiosk().CreateUser(cjk), 400, "bad_request"));
}

TEST_F(KioskHttpInput, CreatesNoCustomerForARejectedName) {
  const HttpReply first = kiosk().CreateUser(KioskClient::UniqueName());
  ASSERT_EQ(first.status, 201) << first;
  ASSERT_EQ(kiosk().CreateUser("bad\nname").status, 400);
  ASSERT_EQ(kiosk().CreateUser(std::string(129, 'x')).status, 400);
  const HttpReply next = kiosk().CreateUser(KioskClient::UniqueName());
  ASSERT_EQ(next.status, 201) << next;
  EXPECT_EQ(JsonOf(next)["id"], JsonOf(first)["id"].get<int64_t>() + 1);
}

}  // namespace
}  // namespace vend::edge::http_test
