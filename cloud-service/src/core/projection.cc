#include "core/projection.h"

#include <cassert>
#include <map>
#include <variant>

namespace vend::cloud::core {

RunPlan PlanRun(int64_t watermark, const std::vector<int64_t>& seqs) {
  RunPlan plan;
  plan.new_watermark = watermark;
  size_t i = 0;
  while (i < seqs.size() && seqs[i] <= watermark) ++i;
  plan.skip = i;
  while (i < seqs.size() && seqs[i] == plan.new_watermark + 1) {
    ++plan.new_watermark;
    ++plan.apply;
    ++i;
  }
  plan.gap = i < seqs.size();
  return plan;
}

namespace {

// Collects the run's changes. Index maps keep each projection row once, in the order
// it first appeared, holding the state of the latest event that touched it.
class Folder {
 public:
  void Add(const schemas::Event& e) {
    std::visit([&](const auto& d) { On(d, e.at); }, e.data);
  }

  ProjectionDelta Take() { return std::move(delta_); }

 private:
  void Customer(int64_t id, const std::string& user_name, int64_t balance, const std::string& at) {
    auto [it, inserted] = customer_index_.emplace(id, delta_.customers.size());
    if (inserted) delta_.customers.push_back({});
    auto& c = delta_.customers[it->second];
    c.customer_id = id;
    c.user_name = user_name;
    c.balance = balance;
    c.updated_at = at;
  }

  void On(const schemas::OrderCreated& d, const std::string& at) {
    Customer(d.customer_id, d.user_name, d.balance_after, at);
    order_index_[d.order_id] = delta_.new_orders.size();
    OrderRow o;
    o.order_id = d.order_id;
    o.uuid = d.order_uuid;
    o.customer_id = d.customer_id;
    o.user_name = d.user_name;
    o.product_id = d.product_id;
    o.price = d.price;
    o.created_at = at;
    delta_.new_orders.push_back(std::move(o));
  }

  void On(const schemas::OrderRefunded& d, const std::string& at) {
    Customer(d.customer_id, d.user_name, d.balance_after, at);
    auto it = order_index_.find(d.order_id);
    if (it != order_index_.end()) {
      auto& o = delta_.new_orders[it->second];
      o.refunded = true;
      o.refunded_at = at;
      o.refund_amount = d.amount;
    } else {
      delta_.refunds.push_back({d.order_id, d.amount, at});
    }
  }

  void On(const schemas::BalanceDeposited& d, const std::string& at) {
    Customer(d.customer_id, d.user_name, d.balance_after, at);
    delta_.deposits.push_back({d.deposit_id, d.deposit_uuid, d.customer_id, d.amount, at});
  }

  void On(const schemas::StockChanged& d, const std::string& at) {
    auto [it, inserted] = stock_index_.emplace(d.product_id, delta_.stock.size());
    if (inserted) delta_.stock.push_back({});
    delta_.stock[it->second] = {d.product_id, d.count, at};
  }

  void On(const schemas::CommandApplied& d, const std::string& at) {
    Outcome(d.command_id, true, "", at);
  }

  void On(const schemas::CommandRejected& d, const std::string& at) {
    Outcome(d.command_id, false, d.reason, at);
  }

  // A command is resolved once: the first outcome reported for an id wins, as the edge's
  // inbox applies each id at most once and only answers a repeat with the same outcome.
  void Outcome(const std::string& id, bool applied, const std::string& reason,
               const std::string& at) {
    if (!command_ids_.emplace(id, delta_.commands.size()).second) return;
    delta_.commands.push_back({id, applied, reason, at});
  }

  ProjectionDelta delta_;
  std::map<int64_t, size_t> customer_index_;
  std::map<int64_t, size_t> order_index_;
  std::map<int64_t, size_t> stock_index_;
  std::map<std::string, size_t> command_ids_;
};

}  // namespace

ProjectionDelta FoldEvents(const std::vector<schemas::Event>& run) {
  Folder folder;
  for (size_t i = 0; i < run.size(); ++i) {
    assert((i == 0 || run[i].seq == run[i - 1].seq + 1) && "FoldEvents needs a contiguous run");
    folder.Add(run[i]);
  }
  return folder.Take();
}

}  // namespace vend::cloud::core
