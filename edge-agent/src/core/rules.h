// Business rules of the kiosk: what a buy, refund or deposit does to a customer and a
// product, decided on plain values. The store loads the rows, asks these functions, and
// writes what they return in one transaction; nothing here touches a database.
#pragma once

#include <string_view>

#include "core/model.h"
#include "vend/status.h"

namespace vend::edge::core {

// Limits on text that comes from outside.
inline constexpr size_t kMaxUserNameBytes = 128;
inline constexpr size_t kMaxIdempotencyKeyBytes = 128;
inline constexpr int64_t kDefaultMaxDeposit = 100000;

// 401 when missing/empty, 400 when too long or not printable UTF-8.
Status ValidateUserName(std::string_view user_name);
Status ValidateIdempotencyKey(std::string_view key);

// 403 unless `user_name` is the customer's credential.
Status CheckOwner(const Customer& customer, std::string_view user_name);

struct SalePlan {
  Money balance_after;
  int64_t count_after = 0;
};
// Out of stock (409 out_of_stock) wins over too little money (402 insufficient_funds):
// an empty slot cannot be sold whatever the balance.
Result<SalePlan> PlanSale(const Customer& customer, const Product& product);

struct RefundPlan {
  Money balance_after;
  int64_t count_after = 0;  // the item goes back into the machine
};
// 409 not_refundable, 409 already_refunded, 400 when the order is for another product.
Result<RefundPlan> PlanRefund(const Customer& customer, const Product& product, const Order& order);

// Amount must be in (0, max_deposit]; the new balance must fit in int64.
Result<Money> PlanDeposit(const Customer& customer, Money amount, Money max_deposit);

// Validates a catalog entry from the seed file or a cloud command (400 on failure).
Status ValidateProduct(const Product& product);

}  // namespace vend::edge::core
