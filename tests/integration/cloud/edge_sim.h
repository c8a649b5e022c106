// EdgeSim: the events one vending machine would emit, generated deterministically with
// the state its SQLite would hold afterwards, so a test can publish or ingest them and
// then compare PostgreSQL with what the edge "has" (DESIGN.md section 4 invariants).
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "vend/sync_messages.h"

namespace vend::cloud::testing {

// The machine's state after its events, as the cloud projections must mirror it.
struct EdgeState {
  int64_t events = 0;
  int64_t orders = 0;
  int64_t refunded = 0;
  int64_t deposits = 0;
  int64_t paid_cents = 0;  // sum of prices of orders not refunded
  int64_t deposit_cents = 0;
  std::map<int64_t, int64_t> balances;  // customer id -> balance
  std::map<int64_t, int64_t> stock;     // product id -> count
  bool operator==(const EdgeState& o) const;
};
std::ostream& operator<<(std::ostream& os, const EdgeState& s);

class EdgeSim {
 public:
  explicit EdgeSim(std::string machine, uint32_t seed = 1);

  const std::string& machine() const { return machine_; }
  int64_t last_seq() const { return static_cast<int64_t>(events_.size()); }
  const std::vector<schemas::Event>& events() const { return events_; }

  void Deposit(int64_t customer, int64_t amount);
  // order.created + stock.changed; the customer must afford it and the product be stocked.
  void Buy(int64_t customer, int64_t product);
  // order.refunded + stock.changed of the customer's latest paid order.
  void RefundLatest(int64_t customer);
  void Restocked(int64_t product, int64_t count);
  void CommandOutcome(const std::string& command_id, const std::string& type, bool applied);
  // Exactly `n` more events of mixed kinds (deposits, sales, refunds, restocks).
  void Generate(size_t n);

  // Events with seq in [first, last], as the edge would batch them.
  schemas::EventBatch Batch(int64_t first, int64_t last) const;
  std::string BatchJson(int64_t first, int64_t last) const;

  const EdgeState& state() const { return state_; }

 private:
  struct Order {
    int64_t id;
    std::string uuid;
    int64_t customer;
    int64_t product;
    int64_t price;
    bool refunded;
  };
  void Append(schemas::EventData data);
  void Stock(int64_t product, int64_t count, const char* cause);
  std::string Uuid();

  std::string machine_;
  std::mt19937 rng_;
  std::vector<schemas::Event> events_;
  std::vector<Order> orders_;
  std::map<int64_t, std::string> names_;
  std::map<int64_t, int64_t> prices_ = {{1, 150}, {2, 120}, {3, 275}};
  int64_t deposit_ids_ = 0;
  EdgeState state_;
};

}  // namespace vend::cloud::testing
