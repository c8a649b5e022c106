#include "verify.h"

#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>

namespace vend::bench {
namespace {

constexpr size_t kMaxDetails = 10;
constexpr const char* kIds = "(SELECT jsonb_array_elements_text($1::jsonb))";

std::string IdsJson(const std::vector<std::string>& ids) { return nlohmann::json(ids).dump(); }

Status DbFailed(const std::exception& e) {
  return Status(Code::kUnavailable, "db_unavailable", e.what());
}

}  // namespace

Result<VerifyReport> VerifyFleet(const std::string& pg_url,
                                 const std::vector<const VirtualMachine*>& machines) {
  VerifyReport report;
  std::map<std::string, const VirtualMachine*> by_id;
  std::vector<std::string> ids;
  for (const auto* m : machines) {
    by_id[m->id()] = m;
    ids.push_back(m->id());
  }
  std::set<std::string> bad;
  auto differ = [&](const std::string& id, const std::string& what) {
    bad.insert(id);
    if (report.details.size() < kMaxDetails) report.details.push_back(id + ": " + what);
  };
  // Per machine: what PostgreSQL has, filled from the queries below.
  struct Seen {
    bool row = false;
    int64_t watermark = 0, events = 0, max_seq = 0, orders = 0, order_cents = 0, deposits = 0,
            deposit_cents = 0;
    std::map<int64_t, int64_t> stock, balances;
  };
  std::map<std::string, Seen> seen;
  try {
    pqxx::connection conn(pg_url);
    pqxx::read_transaction tx(conn);
    const std::string arg = IdsJson(ids);
    for (const auto& r : tx.exec_params(
             std::string("SELECT m.id, m.watermark, count(e.seq), coalesce(max(e.seq), 0) "
                         "FROM machines m LEFT JOIN edge_events e ON e.machine_id = m.id "
                         "WHERE m.id IN ") +
                 kIds + " GROUP BY m.id",
             arg)) {
      auto& s = seen[r[0].c_str()];
      s.row = true;
      s.watermark = r[1].as<int64_t>();
      s.events = r[2].as<int64_t>();
      s.max_seq = r[3].as<int64_t>();
      report.events += s.events;
    }
    for (const auto& r : tx.exec_params(
             std::string(
                 "SELECT machine_id, count(*), sum(price) FROM orders WHERE machine_id IN ") +
                 kIds + " GROUP BY 1",
             arg)) {
      auto& s = seen[r[0].c_str()];
      s.orders = r[1].as<int64_t>();
      s.order_cents = r[2].as<int64_t>();
    }
    for (const auto& r : tx.exec_params(
             std::string(
                 "SELECT machine_id, count(*), sum(amount) FROM deposits WHERE machine_id IN ") +
                 kIds + " GROUP BY 1",
             arg)) {
      auto& s = seen[r[0].c_str()];
      s.deposits = r[1].as<int64_t>();
      s.deposit_cents = r[2].as<int64_t>();
    }
    for (const auto& r : tx.exec_params(
             std::string("SELECT machine_id, product_id, count FROM stock WHERE machine_id IN ") +
                 kIds,
             arg)) {
      seen[r[0].c_str()].stock[r[1].as<int64_t>()] = r[2].as<int64_t>();
    }
    for (const auto& r : tx.exec_params(
             std::string(
                 "SELECT machine_id, customer_id, balance FROM customers WHERE machine_id IN ") +
                 kIds,
             arg)) {
      seen[r[0].c_str()].balances[r[1].as<int64_t>()] = r[2].as<int64_t>();
    }
  } catch (const std::exception& e) {
    return DbFailed(e);
  }

  for (const auto& [id, vm] : by_id) {
    ++report.machines;
    const auto& want = vm->expected();
    const Seen& got = seen[id];
    auto check = [&](const char* what, int64_t have, int64_t expected) {
      if (have != expected) {
        differ(id, std::string(what) + " is " + std::to_string(have) + ", the machine has " +
                       std::to_string(expected));
      }
    };
    if (!got.row) {
      differ(id, "no row in machines");
      continue;
    }
    check("edge_events count", got.events, want.last_seq);
    check("max(seq)", got.max_seq, want.last_seq);
    check("watermark", got.watermark, want.last_seq);
    check("orders", got.orders, want.orders);
    check("order cents", got.order_cents, want.order_cents);
    check("deposits", got.deposits, want.deposits);
    check("deposit cents", got.deposit_cents, want.deposit_cents);
    if (got.stock != want.stock) differ(id, "stock differs");
    if (got.balances != want.balances) differ(id, "customer balances differ");
  }
  report.mismatches = static_cast<int64_t>(bad.size());
  return report;
}

Result<int64_t> CountOnline(const std::string& pg_url, const std::vector<std::string>& ids) {
  try {
    pqxx::connection conn(pg_url);
    pqxx::read_transaction tx(conn);
    return tx
        .exec_params(std::string("SELECT count(*) FROM machines WHERE online AND id IN ") + kIds,
                     IdsJson(ids))[0][0]
        .as<int64_t>();
  } catch (const std::exception& e) {
    return DbFailed(e);
  }
}

Result<SqlLatency> OrderLatencyInDatabase(const std::string& pg_url, int64_t from_unix_ms) {
  try {
    pqxx::connection conn(pg_url);
    pqxx::read_transaction tx(conn);
    auto r = tx.exec_params(
        "SELECT count(*), "
        "coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY d), 0), "
        "coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY d), 0), coalesce(max(d), 0) "
        "FROM (SELECT extract(epoch FROM received_at - at) * 1000 AS d FROM edge_events "
        "WHERE type = 'order.created' AND at >= to_timestamp($1::double precision / 1000)) x",
        from_unix_ms);
    return SqlLatency{r[0][0].as<int64_t>(), r[0][1].as<double>(), r[0][2].as<double>(),
                      r[0][3].as<double>()};
  } catch (const std::exception& e) {
    return DbFailed(e);
  }
}

}  // namespace vend::bench
