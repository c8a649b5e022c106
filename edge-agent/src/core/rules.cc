#include "core/rules.h"

#include "vend/ids.h"

namespace vend::edge::core {

const char* ToString(OrderStatus s) { return s == OrderStatus::kPaid ? "paid" : "refunded"; }

Status ValidateUserName(std::string_view user_name) {
  if (user_name.empty()) {
    return Status(Code::kUnauthenticated, "unauthorized", "user_name is required");
  }
  if (user_name.size() > kMaxUserNameBytes) {
    return InvalidArgument("user_name is longer than " + std::to_string(kMaxUserNameBytes) +
                           " bytes");
  }
  if (!IsPrintableUtf8(user_name)) return InvalidArgument("user_name must be printable UTF-8");
  return Status::Ok();
}

Status ValidateIdempotencyKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxIdempotencyKeyBytes || !IsPrintableUtf8(key)) {
    return InvalidArgument("idempotency_key must be 1 to " +
                           std::to_string(kMaxIdempotencyKeyBytes) + " printable characters");
  }
  return Status::Ok();
}

Status CheckOwner(const Customer& customer, std::string_view user_name) {
  if (customer.user_name != user_name) {
    return Status(Code::kPermissionDenied, "forbidden",
                  "user_name does not own user " + std::to_string(customer.id));
  }
  return Status::Ok();
}

Result<SalePlan> PlanSale(const Customer& customer, const Product& product) {
  if (product.count <= 0) {
    return Status(Code::kConflict, "out_of_stock", product.name + " is sold out");
  }
  if (customer.balance < product.price) {
    return Status(Code::kPaymentRequired, "insufficient_funds",
                  "balance " + customer.balance.ToDecimalString() + " is less than the price " +
                      product.price.ToDecimalString());
  }
  auto after = customer.balance.Minus(product.price);
  if (!after) return Internal("balance arithmetic overflow");
  return SalePlan{*after, product.count - 1};
}

Result<RefundPlan> PlanRefund(const Customer& customer, const Product& product,
                              const Order& order) {
  if (order.product_id != product.id) {
    return InvalidArgument("order " + std::to_string(order.id) + " is not for product " +
                           std::to_string(product.id));
  }
  if (order.status == OrderStatus::kRefunded) {
    return Status(Code::kConflict, "already_refunded",
                  "order " + std::to_string(order.id) + " is already refunded");
  }
  if (!product.is_refundable) {
    return Status(Code::kConflict, "not_refundable", product.name + " is not refundable");
  }
  auto balance = customer.balance.Plus(order.price);
  if (!balance) {
    return Status(Code::kConflict, "balance_overflow", "refund would overflow the balance");
  }
  if (product.count == INT64_MAX) {
    return Status(Code::kConflict, "stock_overflow", "stock count would overflow");
  }
  return RefundPlan{*balance, product.count + 1};
}

Result<Money> PlanDeposit(const Customer& customer, Money amount, Money max_deposit) {
  if (!amount.IsPositive()) return InvalidArgument("amount must be a positive number of cents");
  if (amount > max_deposit) {
    return InvalidArgument("amount must be at most " + std::to_string(max_deposit.cents()) +
                           " cents");
  }
  auto balance = customer.balance.Plus(amount);
  if (!balance) return InvalidArgument("amount would overflow the balance");
  return *balance;
}

Status ValidateProduct(const Product& p) {
  if (p.id <= 0) return InvalidArgument("product id must be a positive integer");
  if (p.name.empty() || p.name.size() > 200 || !IsPrintableUtf8(p.name)) {
    return InvalidArgument("product name must be 1 to 200 printable characters");
  }
  if (p.price.IsNegative()) return InvalidArgument("product price must not be negative");
  if (p.count < 0) return InvalidArgument("product count must not be negative");
  if (p.image.size() > 200 || !IsPrintableUtf8(p.image) || p.image.find('/') != std::string::npos ||
      p.image.find('\\') != std::string::npos || p.image == "." || p.image == "..") {
    return InvalidArgument("product image must be a plain file name");
  }
  return Status::Ok();
}

}  // namespace vend::edge::core
