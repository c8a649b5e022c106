#include "vend/money.h"

#include <gtest/gtest.h>

namespace vend {
namespace {

TEST(Money, AddsAndSubtracts) {
  auto a = Money::FromCents(150);
  EXPECT_EQ(a.Plus(Money::FromCents(50))->cents(), 200);
  EXPECT_EQ(a.Minus(Money::FromCents(200))->cents(), -50);
  EXPECT_EQ(a.Times(3)->cents(), 450);
}

TEST(Money, ReportsOverflowInsteadOfWrapping) {
  auto max = Money::FromCents(INT64_MAX);
  auto min = Money::FromCents(INT64_MIN);
  EXPECT_FALSE(max.Plus(Money::FromCents(1)));
  EXPECT_FALSE(min.Minus(Money::FromCents(1)));
  EXPECT_FALSE(max.Times(2));
  EXPECT_TRUE(max.Plus(Money::FromCents(0)));
}

TEST(Money, RendersDecimal) {
  EXPECT_EQ(Money::FromCents(150).ToDecimalString(), "1.50");
  EXPECT_EQ(Money::FromCents(-5).ToDecimalString(), "-0.05");
  EXPECT_EQ(Money::FromCents(INT64_MIN).ToDecimalString(), "-92233720368547758.08");
}

TEST(Money, Compares) {
  EXPECT_LT(Money::FromCents(1), Money::FromCents(2));
  EXPECT_EQ(Money::FromCents(7), Money::FromCents(7));
  EXPECT_TRUE(Money::FromCents(-1).IsNegative());
  EXPECT_FALSE(Money::FromCents(0).IsPositive());
}

}  // namespace
}  // namespace vend
