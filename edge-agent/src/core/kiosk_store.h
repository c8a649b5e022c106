// KioskStore: the durable state of one machine as the kiosk API sees it.
//
// Every mutating call is one atomic, durable transaction: when it returns ok the change
// and the outbox events describing it are on disk together (a crash before that leaves
// neither). Failures are returned as Status (404 unknown product/user/order, 403 wrong
// owner, 402/409 business rules, 500 storage errors); a failed call changes nothing.
//
// Thread safety: all methods may be called concurrently from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "vend/status.h"

namespace vend::edge::core {

struct BuyRequest {
  int64_t product_id = 0;
  std::string user_name;
  std::optional<std::string> idempotency_key;
};

struct RefundRequest {
  int64_t product_id = 0;
  std::string user_name;
  std::optional<int64_t> order_id;  // else the latest paid order of that product
};

struct OrderResult {
  Order order;
  Money balance;
  bool replayed = false;  // an idempotent repeat of an earlier buy
};

struct OutboxStats {
  int64_t depth = 0;      // unacknowledged events
  int64_t last_seq = 0;   // newest event ever appended
  int64_t acked_seq = 0;  // cloud has applied everything up to here
};

class KioskStore {
 public:
  virtual ~KioskStore() = default;

  // A consistent snapshot of the catalog with counts, ordered by id. Cheap: served from
  // memory and replaced after each committed change.
  virtual std::shared_ptr<const std::vector<Product>> Products() = 0;
  virtual Result<Product> GetProduct(int64_t id) = 0;

  // Creates the customer, or returns the existing one; `created` says which.
  struct CreatedCustomer {
    Customer customer;
    bool created = false;
  };
  virtual Result<CreatedCustomer> CreateCustomer(const std::string& user_name) = 0;
  virtual Result<Customer> GetCustomer(int64_t id, const std::string& user_name) = 0;
  virtual Result<Customer> Deposit(int64_t customer_id, const std::string& user_name, Money amount,
                                   Money max_deposit) = 0;
  virtual Result<OrderResult> Buy(const BuyRequest& req) = 0;
  virtual Result<OrderResult> Refund(const RefundRequest& req) = 0;
  // Newest first.
  virtual Result<std::vector<Order>> Orders(int64_t customer_id, const std::string& user_name) = 0;

  // Inserts catalog entries whose id is not yet known; existing products are untouched.
  virtual Status SeedCatalog(const std::vector<Product>& products) = 0;

  virtual Result<OutboxStats> Outbox() = 0;
};

}  // namespace vend::edge::core
