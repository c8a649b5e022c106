#include "core/compare.h"

#include <set>
#include <string_view>
#include <type_traits>
#include <variant>

namespace vend::fleet_check {

const char* CommandStateName(CommandState s) {
  switch (s) {
    case CommandState::kPending:
      return "pending";
    case CommandState::kApplied:
      return "applied";
    case CommandState::kRejected:
      return "rejected";
  }
  return "?";
}

namespace {

std::string Str(int64_t v) { return std::to_string(v); }

std::string Range(int64_t first, int64_t last) {
  return first == last ? Str(first) : Str(first) + ".." + Str(last);
}

// "3..7, 9": ascending seqs as ranges.
std::string Ranges(const std::vector<int64_t>& seqs) {
  std::string out;
  for (size_t i = 0; i < seqs.size();) {
    size_t j = i;
    while (j + 1 < seqs.size() && seqs[j + 1] == seqs[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += Range(seqs[i], seqs[j]);
    i = j + 1;
  }
  return out;
}

std::string DescribeOrder(const OrderFact& o) {
  std::string s = "uuid=" + o.uuid + " customer=" + Str(o.customer_id) +
                  " product=" + Str(o.product_id) + " price=" + Str(o.price) +
                  " status=" + (o.refunded ? "refunded" : "paid");
  if (o.refunded) s += " refund_amount=" + Str(o.refund_amount);
  return s;
}

std::string DescribeDeposit(const DepositFact& d) {
  return "deposit_id=" + Str(d.deposit_id) + " customer=" + Str(d.customer_id) +
         " amount=" + Str(d.amount);
}

class Checker {
 public:
  Checker(const EdgeSnapshot& edge, const CloudSnapshot& cloud, const CompareOptions& options)
      : edge_(edge), cloud_(cloud), options_(options), expected_(cloud) {}

  MachineReport Run(const std::string& machine) {
    if (edge_.machine_id != machine) {
      Diff("identity", "the edge database belongs to machine '" + edge_.machine_id + "', not '" +
                           machine + "'");
    }
    if (!cloud_.machine_exists) {
      Diff("identity", "machine '" + machine + "' does not exist in PostgreSQL");
    }
    CheckSyncPosition();
    CheckEventLog();
    FoldPending();
    CheckNegatives();
    CheckMoney();
    CheckOrders();
    CheckDeposits();
    CheckCustomers();
    CheckStock();
    CheckCommands();
    CheckCatalog();
    report_.summary = "last_seq=" + Str(edge_.last_seq) + " watermark=" + Str(cloud_.watermark) +
                      " outbox=" + Str(static_cast<int64_t>(edge_.outbox.size())) +
                      " orders=" + Str(static_cast<int64_t>(edge_.orders.size())) +
                      " deposits=" + Str(static_cast<int64_t>(edge_.deposits.size())) +
                      " customers=" + Str(static_cast<int64_t>(edge_.customers.size())) +
                      " products=" + Str(static_cast<int64_t>(edge_.stock.size())) +
                      " commands=" + Str(static_cast<int64_t>(edge_.commands.size()));
    return std::move(report_);
  }

 private:
  void Diff(std::string area, std::string detail) {
    report_.differences.push_back({std::move(area), std::move(detail)});
  }
  void Note(std::string note) { report_.notes.push_back(std::move(note)); }

  // The cloud may not be ahead of the edge, and every event the cloud has not applied
  // must still be in the outbox: rows leave the outbox only on an ack, and the cloud
  // acks only what it applied.
  void CheckSyncPosition() {
    const int64_t w = cloud_.watermark, last = edge_.last_seq;
    if (w > last) {
      Diff("sync", "the cloud watermark " + Str(w) + " is above the edge's last_seq " + Str(last) +
                       ": PostgreSQL holds events this database never made");
    }
    if (edge_.acked_seq > w) {
      Diff("sync", "the edge was acknowledged up to seq " + Str(edge_.acked_seq) +
                       " but the cloud watermark is " + Str(w));
    }
    std::set<int64_t> pending;
    for (const auto& e : edge_.outbox) pending.insert(e.seq);
    std::vector<int64_t> lost;
    for (int64_t s = w + 1; s <= last; ++s) {
      if (pending.count(s) == 0) lost.push_back(s);
    }
    if (!lost.empty()) {
      Diff("sync", "events " + Ranges(lost) + " are neither applied by the cloud (watermark " +
                       Str(w) + ") nor in the edge's outbox: lost");
    }
    if (!edge_.outbox.empty()) {
      const std::string what = Str(static_cast<int64_t>(edge_.outbox.size())) +
                               " event(s) still in the outbox (seq " +
                               Range(edge_.outbox.front().seq, edge_.outbox.back().seq) +
                               "), cloud watermark " + Str(w) + ", last_seq " + Str(last);
      if (options_.require_quiescence) {
        Diff("sync", "not quiescent: " + what);
      } else {
        Note("not quiescent: " + what + "; compared as the cloud plus the pending events");
      }
    }
  }

  void CheckEventLog() {
    if (cloud_.events_at_or_below_watermark != cloud_.watermark) {
      Diff("event log", "edge_events holds " + Str(cloud_.events_at_or_below_watermark) +
                            " event(s) with seq <= watermark " + Str(cloud_.watermark) +
                            ": an applied seq is missing from the log");
    }
    if (!cloud_.events_above_watermark.empty()) {
      const std::string what = "edge_events holds seq " + Ranges(cloud_.events_above_watermark) +
                               " above the watermark " + Str(cloud_.watermark) +
                               ", waiting for a missing seq";
      if (options_.require_quiescence) {
        Diff("event log", what);
      } else {
        Note(what);
      }
    }
    for (const auto& d : cloud_.log_duplicates) {
      Diff("event log", d.what + " " + d.key + " appears " + Str(d.count) + " times");
    }
  }

  // Applies the outbox events the cloud has not applied yet to `expected_`, the way the
  // cloud's projections will.
  void FoldPending() {
    for (const auto& e : edge_.outbox) {
      if (e.seq <= cloud_.watermark) continue;
      std::visit(
          [&](const auto& d) {
            using T = std::decay_t<decltype(d)>;
            if constexpr (std::is_same_v<T, schemas::OrderCreated>) {
              OrderFact o;
              o.order_id = d.order_id;
              o.uuid = d.order_uuid;
              o.customer_id = d.customer_id;
              o.product_id = d.product_id;
              o.price = d.price;
              expected_.orders[d.order_id] = o;
              expected_.customers[d.customer_id] = {d.customer_id, d.user_name, d.balance_after};
            } else if constexpr (std::is_same_v<T, schemas::OrderRefunded>) {
              auto it = expected_.orders.find(d.order_id);
              if (it != expected_.orders.end()) {
                it->second.refunded = true;
                it->second.refund_amount = d.amount;
              }
              expected_.customers[d.customer_id] = {d.customer_id, d.user_name, d.balance_after};
            } else if constexpr (std::is_same_v<T, schemas::BalanceDeposited>) {
              expected_.deposits[d.deposit_uuid] = {d.deposit_id, d.deposit_uuid, d.customer_id,
                                                    d.amount};
              expected_.customers[d.customer_id] = {d.customer_id, d.user_name, d.balance_after};
            } else if constexpr (std::is_same_v<T, schemas::StockChanged>) {
              expected_.stock[d.product_id] = d.count;
            } else if constexpr (std::is_same_v<T, schemas::CommandApplied>) {
              expected_.commands[d.command_id] = CommandState::kApplied;
            } else if constexpr (std::is_same_v<T, schemas::CommandRejected>) {
              expected_.commands[d.command_id] = CommandState::kRejected;
            }
          },
          e.data);
    }
  }

  void CheckNegatives() {
    for (const auto& [id, c] : edge_.customers) {
      if (c.balance < 0)
        Diff("negative", "edge customer " + Str(id) + " balance " + Str(c.balance));
    }
    for (const auto& [id, c] : cloud_.customers) {
      if (c.balance < 0) {
        Diff("negative", "cloud customer " + Str(id) + " balance " + Str(c.balance));
      }
    }
    for (const auto& [id, n] : edge_.stock) {
      if (n < 0) Diff("negative", "edge stock of product " + Str(id) + " is " + Str(n));
    }
    for (const auto& [id, n] : cloud_.stock) {
      if (n < 0) Diff("negative", "cloud stock of product " + Str(id) + " is " + Str(n));
    }
  }

  // Money is conserved on each side: every cent deposited is either still in a balance
  // or was paid for an order that was not refunded (a refund returns `refund_amount`).
  void CheckMoney() {
    auto check = [&](const char* side, const std::map<int64_t, OrderFact>& orders,
                     const std::map<std::string, DepositFact>& deposits,
                     const std::map<int64_t, CustomerFact>& customers) {
      int64_t deposited = 0, kept = 0, balances = 0;
      for (const auto& [uuid, d] : deposits) deposited += d.amount;
      for (const auto& [id, o] : orders) kept += o.refunded ? o.price - o.refund_amount : o.price;
      for (const auto& [id, c] : customers) balances += c.balance;
      if (deposited - kept != balances) {
        Diff("money", std::string(side) + ": deposits " + Str(deposited) + " - paid orders " +
                          Str(kept) + " = " + Str(deposited - kept) + ", but balances sum to " +
                          Str(balances));
      }
    };
    check("edge", edge_.orders, edge_.deposits, edge_.customers);
    check("cloud", cloud_.orders, cloud_.deposits, cloud_.customers);
  }

  void CheckOrders() {
    for (const auto& [id, e] : edge_.orders) {
      auto it = expected_.orders.find(id);
      if (it == expected_.orders.end()) {
        Diff("orders", "order " + Str(id) + " (" + DescribeOrder(e) + ") is missing in the cloud");
        continue;
      }
      const OrderFact& c = it->second;
      // The edge refunds the full price.
      const bool same = c.uuid == e.uuid && c.customer_id == e.customer_id &&
                        c.product_id == e.product_id && c.price == e.price &&
                        c.refunded == e.refunded && (!e.refunded || c.refund_amount == e.price);
      if (!same) {
        Diff("orders", "order " + Str(id) + " differs: edge " + DescribeOrder(e) + "; cloud " +
                           DescribeOrder(c));
      }
    }
    for (const auto& [id, c] : expected_.orders) {
      if (edge_.orders.count(id) == 0) {
        Diff("orders", "order " + Str(id) + " (" + DescribeOrder(c) +
                           ") is in the cloud but not at the edge");
      }
    }
  }

  void CheckDeposits() {
    for (const auto& [uuid, e] : edge_.deposits) {
      auto it = expected_.deposits.find(uuid);
      if (it == expected_.deposits.end()) {
        Diff("deposits",
             "deposit " + uuid + " (" + DescribeDeposit(e) + ") is missing in the cloud");
        continue;
      }
      const DepositFact& c = it->second;
      if (c.deposit_id != e.deposit_id || c.customer_id != e.customer_id || c.amount != e.amount) {
        Diff("deposits", "deposit " + uuid + " differs: edge " + DescribeDeposit(e) + "; cloud " +
                             DescribeDeposit(c));
      }
    }
    for (const auto& [uuid, c] : expected_.deposits) {
      if (edge_.deposits.count(uuid) == 0) {
        Diff("deposits", "deposit " + uuid + " (" + DescribeDeposit(c) +
                             ") is in the cloud but not at the edge");
      }
    }
  }

  // The cloud learns of a customer from the first event that names it, so an edge
  // customer with no deposit and no order yet may be unknown there; any other must match.
  void CheckCustomers() {
    std::set<int64_t> named;
    for (const auto& [id, o] : edge_.orders) named.insert(o.customer_id);
    for (const auto& [uuid, d] : edge_.deposits) named.insert(d.customer_id);
    for (const auto& [id, e] : edge_.customers) {
      auto it = expected_.customers.find(id);
      if (it == expected_.customers.end()) {
        if (e.balance != 0 || named.count(id) > 0) {
          Diff("customers", "customer " + Str(id) + " (" + e.user_name + ", balance " +
                                Str(e.balance) + ") is missing in the cloud");
        }
        continue;
      }
      const CustomerFact& c = it->second;
      if (c.balance != e.balance || c.user_name != e.user_name) {
        Diff("customers", "customer " + Str(id) + ": edge " + e.user_name + " balance " +
                              Str(e.balance) + "; cloud " + c.user_name + " balance " +
                              Str(c.balance));
      }
    }
    for (const auto& [id, c] : expected_.customers) {
      if (edge_.customers.count(id) == 0) {
        Diff("customers",
             "customer " + Str(id) + " (" + c.user_name + ") is in the cloud but not at the edge");
      }
    }
  }

  void CheckStock() {
    for (const auto& [id, n] : edge_.stock) {
      auto it = expected_.stock.find(id);
      if (it == expected_.stock.end()) {
        Diff("stock", "product " + Str(id) + ": edge count " + Str(n) + ", no cloud stock row");
      } else if (it->second != n) {
        Diff("stock",
             "product " + Str(id) + ": edge count " + Str(n) + ", cloud count " + Str(it->second));
      }
    }
    for (const auto& [id, n] : expected_.stock) {
      if (edge_.stock.count(id) > 0) continue;
      if (edge_.removed_products.count(id) > 0) {
        if (n != 0) {
          Diff("stock",
               "product " + Str(id) + " was removed at the edge (count 0), cloud count " + Str(n));
        }
      } else {
        Diff("stock", "product " + Str(id) + ": cloud count " + Str(n) +
                          ", but the edge has no such product");
      }
    }
  }

  void CheckCommands() {
    int64_t pending = 0;
    for (const auto& [id, e] : edge_.commands) {
      auto it = expected_.commands.find(id);
      if (it == expected_.commands.end()) {
        Diff("commands", "the edge " + std::string(CommandStateName(e.outcome)) + " command " + id +
                             " (seq " + Str(e.seq) +
                             ") that the cloud never issued to this machine");
      } else if (it->second != e.outcome) {
        Diff("commands", "command " + id + ": edge " + CommandStateName(e.outcome) + " (seq " +
                             Str(e.seq) + "), cloud " + CommandStateName(it->second));
      }
    }
    for (const auto& [id, state] : expected_.commands) {
      if (state == CommandState::kPending) {
        ++pending;
        continue;
      }
      if (edge_.commands.count(id) == 0) {
        Diff("commands", "the cloud marks command " + id + " " + CommandStateName(state) +
                             " but the edge has no record of it");
      }
    }
    if (pending > 0) {
      Note(Str(pending) + " command(s) pending in the cloud, not yet applied at the edge");
    }
  }

  // Once every command this machine was sent is answered, it sells exactly the cloud's
  // catalog at the cloud's prices: the commands carry every catalog change, so a
  // difference means one was lost, rejected, or applied out of order. While a command
  // is pending (or, live, applied after the cloud snapshot was read) the catalog is in
  // motion and not compared.
  void CheckCatalog() {
    bool in_motion = false;
    for (const auto& [id, state] : expected_.commands) {
      if (state == CommandState::kPending) in_motion = true;
    }
    for (const auto& [id, c] : edge_.commands) {
      if (c.seq > cloud_.watermark) in_motion = true;
    }
    if (in_motion) {
      Note("catalog not compared: commands are still on their way");
      return;
    }
    auto describe = [](const ProductFact& p) {
      return "'" + p.name + "' price=" + Str(p.price) + " image='" + p.image +
             "' refundable=" + (p.is_refundable ? "true" : "false");
    };
    for (const auto& [id, want] : cloud_.catalog) {
      auto it = edge_.catalog.find(id);
      if (it == edge_.catalog.end()) {
        Diff("catalog",
             "product " + Str(id) + " (" + describe(want) + ") is not on sale at the edge");
      } else if (it->second != want) {
        Diff("catalog",
             "product " + Str(id) + ": edge " + describe(it->second) + "; cloud " + describe(want));
      }
    }
    for (const auto& [id, have] : edge_.catalog) {
      if (cloud_.catalog.count(id) > 0) continue;
      Diff("catalog", "product " + Str(id) + " (" + describe(have) +
                          ") is on sale at the edge but " +
                          (cloud_.removed_catalog.count(id) > 0 ? "removed from" : "not in") +
                          " the cloud catalog");
    }
  }

  const EdgeSnapshot& edge_;
  const CloudSnapshot& cloud_;
  const CompareOptions options_;
  CloudSnapshot expected_;  // the cloud plus the edge's pending events
  MachineReport report_;
};

}  // namespace

MachineReport CompareMachine(const std::string& machine, const EdgeSnapshot& edge,
                             const CloudSnapshot& cloud, const CompareOptions& options) {
  return Checker(edge, cloud, options).Run(machine);
}

bool SnapshotsComparable(const EdgeSnapshot& edge, const CloudSnapshot& cloud) {
  return edge.acked_seq <= cloud.watermark;
}

}  // namespace vend::fleet_check
