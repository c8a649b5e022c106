// The kiosk's domain model. Plain values; no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vend/money.h"

namespace vend::edge::core {

struct Product {
  int64_t id = 0;
  std::string name;
  Money price;
  int64_t count = 0;
  std::string image;  // file name under the kiosk's images/ folder; may be empty
  bool is_refundable = false;
};

struct Customer {
  int64_t id = 0;
  std::string user_name;
  Money balance;
};

enum class OrderStatus { kPaid, kRefunded };
const char* ToString(OrderStatus s);

struct Order {
  int64_t id = 0;
  std::string uuid;
  int64_t customer_id = 0;
  int64_t product_id = 0;
  Money price;
  OrderStatus status = OrderStatus::kPaid;
  std::string created_at;
  std::optional<std::string> refunded_at;
};

}  // namespace vend::edge::core
