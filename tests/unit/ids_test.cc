#include "vend/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace vend {
namespace {

TEST(Uuid, IsCanonicalVersion7AndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    auto u = NewUuid();
    ASSERT_TRUE(IsUuid(u)) << u;
    EXPECT_EQ(u[14], '7');
    EXPECT_TRUE(u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b');
    ASSERT_TRUE(seen.insert(u).second);
  }
}

TEST(Uuid, RejectsMalformed) {
  EXPECT_FALSE(IsUuid(""));
  EXPECT_FALSE(IsUuid("0190f1c2-7b3a-7c1d-8e2f-3a4b5c6d7e8"));
  EXPECT_FALSE(IsUuid("0190f1c2x7b3a-7c1d-8e2f-3a4b5c6d7e8f"));
  EXPECT_FALSE(IsUuid("0190f1c2-7b3a-7c1d-8e2f-3a4b5c6d7e8g"));
  EXPECT_TRUE(IsUuid("0190F1C2-7B3A-7C1D-8E2F-3A4B5C6D7E8F"));
}

TEST(MachineId, AllowsOnlyTheDesignAlphabet) {
  EXPECT_TRUE(IsMachineId("vm-01_A"));
  EXPECT_TRUE(IsMachineId(std::string(64, 'a')));
  EXPECT_FALSE(IsMachineId(std::string(65, 'a')));
  EXPECT_FALSE(IsMachineId(""));
  EXPECT_FALSE(IsMachineId("a/b"));
  EXPECT_FALSE(IsMachineId("a+b"));
  EXPECT_FALSE(IsMachineId("a#"));
}

TEST(Iso8601, RoundTripsMilliseconds) {
  auto t = ParseIso8601("2026-11-26T17:30:00.123Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatIso8601(*t), "2026-11-26T17:30:00.123Z");
  EXPECT_EQ(FormatIso8601(*ParseIso8601("2024-02-29T00:00:00Z")), "2024-02-29T00:00:00.000Z");
}

TEST(Iso8601, RejectsNonUtcAndImpossibleDates) {
  EXPECT_FALSE(ParseIso8601("2026-11-26T17:30:00+01:00"));
  EXPECT_FALSE(ParseIso8601("2026-11-26 17:30:00Z"));
  EXPECT_FALSE(ParseIso8601("2023-02-29T00:00:00Z"));
  EXPECT_FALSE(ParseIso8601("2026-13-01T00:00:00Z"));
  EXPECT_FALSE(ParseIso8601("2026-11-26T17:30:00.Z"));
  EXPECT_FALSE(ParseIso8601(""));
}

TEST(PrintableUtf8, AcceptsTextRejectsControlsAndBadBytes) {
  EXPECT_TRUE(IsPrintableUtf8("Zoë ☕ 𝄞"));
  EXPECT_TRUE(IsPrintableUtf8("'; DROP TABLE customers; --"));
  EXPECT_FALSE(IsPrintableUtf8("a\nb"));
  EXPECT_FALSE(IsPrintableUtf8(std::string("a\0b", 3)));
  EXPECT_FALSE(IsPrintableUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsPrintableUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsPrintableUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsPrintableUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsPrintableUtf8("\xff"));
}

}  // namespace
}  // namespace vend
