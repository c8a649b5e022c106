// The admin API's orders query parsing, cursor encoding and CSV cells (no I/O).
#include "core/order_query.h"

#include <gtest/gtest.h>

namespace vend::cloud::core {
namespace {

std::string ErrorOf(std::string_view query, bool csv = false) {
  auto r = ParseOrderQuery(query, csv);
  EXPECT_FALSE(r.ok()) << query;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  return r.status().message();
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

TEST(OrderQuery, DefaultsWhenEmpty) {
  auto f = ParseOrderQuery("", false);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->limit, 50);
  EXPECT_FALSE(f->machine || f->product || f->customer || f->status || f->from || f->to ||
               f->cursor);
}

TEST(OrderQuery, ParsesEveryFilter) {
  auto f = ParseOrderQuery(
      "machine=M-1&product=7&customer=ann%20b&status=refunded&from=2026-11-01T00:00:00Z"
      "&to=2026-11-02T00:00:00.500Z&limit=200",
      false);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(*f->machine, "M-1");
  EXPECT_EQ(*f->product, 7);
  EXPECT_EQ(*f->customer, "ann b");
  EXPECT_EQ(*f->status, "refunded");
  EXPECT_EQ(*f->from, int64_t{1793491200} * 1000000);
  EXPECT_EQ(*f->to, (int64_t{1793491200} + 86400) * 1000000 + 500000);
  EXPECT_EQ(f->limit, 200);
}

TEST(OrderQuery, RejectsBadValuesNamingTheParameter) {
  EXPECT_TRUE(StartsWith(ErrorOf("machine=M%201"), "machine:"));
  EXPECT_TRUE(StartsWith(ErrorOf("machine=" + std::string(65, 'a')), "machine:"));
  EXPECT_TRUE(StartsWith(ErrorOf("product=0"), "product:"));
  EXPECT_TRUE(StartsWith(ErrorOf("product=-1"), "product:"));
  EXPECT_TRUE(StartsWith(ErrorOf("product=1x"), "product:"));
  EXPECT_TRUE(StartsWith(ErrorOf("product=99999999999999999999"), "product:"));
  EXPECT_TRUE(StartsWith(ErrorOf("customer="), "customer:"));
  EXPECT_TRUE(StartsWith(ErrorOf("customer=" + std::string(65, 'a')), "customer:"));
  EXPECT_TRUE(StartsWith(ErrorOf("customer=a%0Ab"), "customer:"));
  EXPECT_TRUE(StartsWith(ErrorOf("status=PAID"), "status:"));
  EXPECT_TRUE(StartsWith(ErrorOf("from=2026-11-01"), "from:"));
  EXPECT_TRUE(StartsWith(ErrorOf("to=2026-13-01T00:00:00Z"), "to:"));
  EXPECT_TRUE(StartsWith(ErrorOf("from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z"), "from:"));
  EXPECT_TRUE(StartsWith(ErrorOf("limit=0"), "limit:"));
  EXPECT_TRUE(StartsWith(ErrorOf("limit=201"), "limit:"));
  EXPECT_TRUE(StartsWith(ErrorOf("limit=050"), "limit:"));
  EXPECT_TRUE(StartsWith(ErrorOf("cursor=abc"), "cursor:"));
  EXPECT_TRUE(StartsWith(ErrorOf("bogus=1"), "bogus:"));
  EXPECT_TRUE(StartsWith(ErrorOf("limit=5&limit=6"), "limit:"));
  EXPECT_TRUE(StartsWith(ErrorOf("machine=%zz"), "query:"));
}

TEST(OrderQuery, CsvTakesNoLimitOrCursor) {
  EXPECT_TRUE(StartsWith(ErrorOf("limit=5", true), "limit:"));
  EXPECT_TRUE(StartsWith(ErrorOf("cursor=x", true), "cursor:"));
  EXPECT_TRUE(ParseOrderQuery("machine=M-1", true).ok());
}

TEST(OrderCursor, RoundTrips) {
  OrderCursor c{1793491200123456, "M_1-x", 42};
  auto text = EncodeOrderCursor(c);
  EXPECT_EQ(text.find_first_of("+/="), std::string::npos);
  auto back = DecodeOrderCursor(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, c);
  auto f = ParseOrderQuery("cursor=" + text, false);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f->cursor, c);
}

TEST(OrderCursor, RejectsTamperedText) {
  EXPECT_FALSE(DecodeOrderCursor("").ok());
  EXPECT_FALSE(DecodeOrderCursor(Base64UrlEncode("o2|1|M-1|1")).ok());
  EXPECT_FALSE(DecodeOrderCursor(Base64UrlEncode("o1|1|M 1|1")).ok());
  EXPECT_FALSE(DecodeOrderCursor(Base64UrlEncode("o1|1|M-1|0")).ok());
  EXPECT_FALSE(DecodeOrderCursor(Base64UrlEncode("o1|x|M-1|1")).ok());
  EXPECT_FALSE(DecodeOrderCursor(Base64UrlEncode("o1|1|M-1|1|")).ok());
  EXPECT_FALSE(DecodeOrderCursor(Base64UrlEncode("o1|1|M-1")).ok());
  auto good = EncodeOrderCursor({1, "M-1", 1});
  EXPECT_FALSE(DecodeOrderCursor(good + "=").ok());
  EXPECT_FALSE(DecodeOrderCursor(good + "+").ok());
}

TEST(AuditQuery, ParsesAndValidates) {
  auto f = ParseAuditQuery("actor=ann.b&action=product.update&limit=10");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(*f->actor, "ann.b");
  EXPECT_EQ(*f->action, "product.update");
  EXPECT_EQ(f->limit, 10);
  AuditCursor c{1793491200123456, 77};
  auto paged = ParseAuditQuery("cursor=" + EncodeAuditCursor(c));
  ASSERT_TRUE(paged.ok());
  EXPECT_EQ(*paged->cursor, c);
  auto message = [](std::string_view q) {
    auto r = ParseAuditQuery(q);
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_TRUE(StartsWith(message("actor=a"), "actor:"));
  EXPECT_TRUE(StartsWith(message("actor=a%27%3B--"), "actor:"));
  EXPECT_TRUE(StartsWith(message("action=DROP%20TABLE"), "action:"));
  EXPECT_TRUE(StartsWith(message("limit=0"), "limit:"));
  EXPECT_TRUE(StartsWith(message("cursor=" + EncodeOrderCursor({1, "M-1", 1})), "cursor:"));
  EXPECT_TRUE(StartsWith(message("machine=M-1"), "machine:"));
}

TEST(Base64Url, StrictDecoding) {
  const std::vector<std::string> samples = {"",     "f",     "fo",     "foo",
                                            "foob", "fooba", "foobar", std::string("\xff\x00", 2)};
  for (const auto& s : samples) EXPECT_EQ(*Base64UrlDecode(Base64UrlEncode(s)), s);
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_FALSE(Base64UrlDecode("Zg==").has_value());  // padding
  EXPECT_FALSE(Base64UrlDecode("Zh").has_value());    // non-zero trailing bits
  EXPECT_FALSE(Base64UrlDecode("Z").has_value());     // impossible length
  EXPECT_FALSE(Base64UrlDecode("Zm9v/A").has_value());
}

TEST(QueryString, DecodesAndRejectsDuplicates) {
  auto p = ParseQueryString("a=1&b=x+y%2Bz&&c=");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->at("a"), "1");
  EXPECT_EQ(p->at("b"), "x y+z");
  EXPECT_EQ(p->at("c"), "");
  EXPECT_FALSE(ParseQueryString("a=1&a=2").ok());
  EXPECT_FALSE(ParseQueryString("=1").ok());
  EXPECT_FALSE(ParseQueryString("a=%4").ok());
  EXPECT_FALSE(ParseQueryString("x=1", {"a"}).ok());
}

TEST(Csv, QuotesAndEscapes) {
  EXPECT_EQ(CsvCell("plain"), "plain");
  EXPECT_EQ(CsvCell(""), "");
  EXPECT_EQ(CsvCell("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvCell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvCell("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvCell("cr\rx"), "\"cr\rx\"");
}

TEST(Csv, NeutralizesFormulas) {
  EXPECT_EQ(CsvCell("=SUM(A1)"), "'=SUM(A1)");
  EXPECT_EQ(CsvCell("+1"), "'+1");
  EXPECT_EQ(CsvCell("-1"), "'-1");
  EXPECT_EQ(CsvCell("@cmd"), "'@cmd");
  EXPECT_EQ(CsvCell("=HYPERLINK(\"x\",\"y\")"), "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"");
  EXPECT_EQ(CsvCell("a=b"), "a=b");
}

TEST(Csv, RowEndsWithCrlf) { EXPECT_EQ(CsvRow({"a", "b,c", ""}), "a,\"b,c\",\r\n"); }

TEST(ParseIntTest, StrictDecimal) {
  EXPECT_EQ(*ParseInt("0", 0, 10), 0);
  EXPECT_EQ(*ParseInt("-5", -10, 10), -5);
  EXPECT_FALSE(ParseInt("-0", -10, 10));
  EXPECT_FALSE(ParseInt("+5", 0, 10));
  EXPECT_FALSE(ParseInt(" 5", 0, 10));
  EXPECT_FALSE(ParseInt("11", 0, 10));
  EXPECT_FALSE(ParseInt("9999999999999999999", 0, INT64_MAX));
}

}  // namespace
}  // namespace vend::cloud::core
