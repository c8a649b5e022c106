#include "core/rules.h"

#include <gtest/gtest.h>

namespace vend::edge::core {
namespace {

Customer Alice(int64_t balance) { return Customer{1, "alice", Money::FromCents(balance)}; }
Product Cola(int64_t count, bool refundable = true) {
  return Product{1, "Cola", Money::FromCents(150), count, "cola.svg", refundable};
}
Order PaidCola() {
  return Order{9, "u", 1, 1, Money::FromCents(150), OrderStatus::kPaid, "t", std::nullopt};
}

TEST(Buy, ChargesPriceAndTakesOneItem) {
  auto plan = PlanSale(Alice(200), Cola(3));
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->balance_after.cents(), 50);
  EXPECT_EQ(plan->count_after, 2);
}

TEST(Buy, AllowsExactBalance) {
  auto plan = PlanSale(Alice(150), Cola(1));
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->balance_after.cents(), 0);
  EXPECT_EQ(plan->count_after, 0);
}

TEST(Buy, RejectsWhenOutOfStock) {
  auto plan = PlanSale(Alice(1000), Cola(0));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kConflict);
  EXPECT_EQ(plan.status().reason(), "out_of_stock");
}

TEST(Buy, RejectsWhenBalanceTooLow) {
  auto plan = PlanSale(Alice(149), Cola(5));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kPaymentRequired);
  EXPECT_EQ(plan.status().reason(), "insufficient_funds");
}

TEST(Buy, OutOfStockWinsOverLowBalance) {
  EXPECT_EQ(PlanSale(Alice(0), Cola(0)).status().reason(), "out_of_stock");
}

TEST(Refund, ReturnsMoneyAndItem) {
  auto plan = PlanRefund(Alice(50), Cola(2), PaidCola());
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->balance_after.cents(), 200);
  EXPECT_EQ(plan->count_after, 3);
}

TEST(Refund, RejectsNonRefundableProduct) {
  auto plan = PlanRefund(Alice(0), Cola(2, /*refundable=*/false), PaidCola());
  EXPECT_EQ(plan.status().reason(), "not_refundable");
}

TEST(Refund, RejectsAlreadyRefundedOrder) {
  Order o = PaidCola();
  o.status = OrderStatus::kRefunded;
  EXPECT_EQ(PlanRefund(Alice(0), Cola(2), o).status().reason(), "already_refunded");
}

TEST(Refund, RejectsOrderOfAnotherProduct) {
  Order o = PaidCola();
  o.product_id = 2;
  EXPECT_EQ(PlanRefund(Alice(0), Cola(2), o).status().code(), Code::kInvalidArgument);
}

TEST(Refund, RejectsBalanceOverflow) {
  EXPECT_EQ(PlanRefund(Alice(INT64_MAX - 10), Cola(2), PaidCola()).status().reason(),
            "balance_overflow");
}

TEST(Deposit, AddsAmount) {
  auto b = PlanDeposit(Alice(5), Money::FromCents(100), Money::FromCents(100000));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->cents(), 105);
}

TEST(Deposit, RejectsNonPositiveAndOverCap) {
  auto cap = Money::FromCents(100000);
  EXPECT_EQ(PlanDeposit(Alice(0), Money::FromCents(0), cap).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(PlanDeposit(Alice(0), Money::FromCents(-5), cap).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(PlanDeposit(Alice(0), Money::FromCents(100001), cap).status().code(),
            Code::kInvalidArgument);
  EXPECT_TRUE(PlanDeposit(Alice(0), Money::FromCents(100000), cap).ok());
}

TEST(Deposit, RejectsBalanceOverflow) {
  auto r = PlanDeposit(Alice(INT64_MAX), Money::FromCents(1), Money::FromCents(100000));
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
}

TEST(UserName, MissingIsUnauthenticated) {
  EXPECT_EQ(ValidateUserName("").code(), Code::kUnauthenticated);
}

TEST(UserName, AcceptsUnicodeAndInjectionLookingText) {
  EXPECT_TRUE(ValidateUserName("Zoë 🥤").ok());
  EXPECT_TRUE(ValidateUserName("' OR 1=1 --").ok());
}

TEST(UserName, RejectsTooLongAndControlCharacters) {
  EXPECT_EQ(ValidateUserName(std::string(129, 'a')).code(), Code::kInvalidArgument);
  EXPECT_EQ(ValidateUserName("a\tb").code(), Code::kInvalidArgument);
  EXPECT_EQ(ValidateUserName("\xff").code(), Code::kInvalidArgument);
}

TEST(Owner, OnlyTheCredentialOwns) {
  EXPECT_TRUE(CheckOwner(Alice(0), "alice").ok());
  EXPECT_EQ(CheckOwner(Alice(0), "mallory").code(), Code::kPermissionDenied);
  EXPECT_EQ(CheckOwner(Alice(0), "Alice").code(), Code::kPermissionDenied);
}

TEST(ProductValidation, RejectsPathsInImageNames) {
  Product p = Cola(1);
  EXPECT_TRUE(ValidateProduct(p).ok());
  p.image = "../etc/passwd";
  EXPECT_FALSE(ValidateProduct(p).ok());
  p.image = "..";
  EXPECT_FALSE(ValidateProduct(p).ok());
  p.image = "";
  EXPECT_TRUE(ValidateProduct(p).ok());
}

}  // namespace
}  // namespace vend::edge::core
