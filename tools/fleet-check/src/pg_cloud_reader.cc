#include "pg_cloud_reader.h"

#include <pqxx/pqxx>

namespace vend::fleet_check {
namespace {

CommandState ParseState(const std::string& s) {
  if (s == "applied") return CommandState::kApplied;
  if (s == "rejected") return CommandState::kRejected;
  return CommandState::kPending;
}

// Keys the raw event log must hold at most once per machine. Outcomes of one command are
// grouped across both outcome types: a command answered twice, either way, was handled
// twice.
constexpr const char* kDuplicatesSql =
    "SELECT 'event id', id::text, count(*) FROM edge_events WHERE machine_id = $1 "
    "GROUP BY id HAVING count(*) > 1 "
    "UNION ALL "
    "SELECT type, coalesce(data->>'order_uuid', data->>'deposit_uuid'), count(*) "
    "FROM edge_events WHERE machine_id = $1 "
    "AND type IN ('order.created', 'order.refunded', 'balance.deposited') "
    "GROUP BY type, 2 HAVING count(*) > 1 "
    "UNION ALL "
    "SELECT 'command outcome', data->>'command_id', count(*) FROM edge_events "
    "WHERE machine_id = $1 AND type IN ('command.applied', 'command.rejected') "
    "GROUP BY 2 HAVING count(*) > 1 "
    "ORDER BY 1, 2";

// At most this many seqs above the watermark are listed (they only illustrate a gap).
constexpr int kMaxListedAbove = 1000;

}  // namespace

struct PgCloudReader::Impl {
  pqxx::connection conn;
  explicit Impl(const std::string& url) : conn(url) {}
};

PgCloudReader::PgCloudReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PgCloudReader::~PgCloudReader() = default;

Result<std::unique_ptr<PgCloudReader>> PgCloudReader::Connect(const std::string& url) {
  try {
    return std::unique_ptr<PgCloudReader>(new PgCloudReader(std::make_unique<Impl>(url)));
  } catch (const std::exception& e) {
    return Status(Code::kUnavailable, "db_unavailable",
                  std::string("cannot connect to PostgreSQL: ") + e.what());
  }
}

Result<CloudSnapshot> PgCloudReader::Read(const std::string& machine) {
  try {
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(impl_->conn);
    CloudSnapshot s;
    auto m = tx.exec_params("SELECT watermark FROM machines WHERE id = $1", machine);
    if (m.empty()) return s;
    s.machine_exists = true;
    s.watermark = m[0][0].as<int64_t>();
    s.events_at_or_below_watermark =
        tx.exec_params("SELECT count(*) FROM edge_events WHERE machine_id = $1 AND seq <= $2",
                       machine, s.watermark)[0][0]
            .as<int64_t>();
    for (const auto& r : tx.exec_params(
             "SELECT seq FROM edge_events WHERE machine_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
             machine, s.watermark, kMaxListedAbove)) {
      s.events_above_watermark.push_back(r[0].as<int64_t>());
    }
    for (const auto& r : tx.exec_params(kDuplicatesSql, machine)) {
      s.log_duplicates.push_back({r[0].as<std::string>(),
                                  r[1].is_null() ? "(none)" : r[1].as<std::string>(),
                                  r[2].as<int64_t>()});
    }
    for (const auto& r :
         tx.exec_params("SELECT order_id, uuid::text, customer_id, product_id, price, status, "
                        "coalesce(refund_amount, 0) FROM orders WHERE machine_id = $1",
                        machine)) {
      OrderFact o;
      o.order_id = r[0].as<int64_t>();
      o.uuid = r[1].as<std::string>();
      o.customer_id = r[2].as<int64_t>();
      o.product_id = r[3].as<int64_t>();
      o.price = r[4].as<int64_t>();
      o.refunded = r[5].as<std::string>() == "refunded";
      o.refund_amount = r[6].as<int64_t>();
      s.orders[o.order_id] = o;
    }
    for (const auto& r :
         tx.exec_params("SELECT deposit_id, uuid::text, customer_id, amount FROM deposits "
                        "WHERE machine_id = $1",
                        machine)) {
      DepositFact d{r[0].as<int64_t>(), r[1].as<std::string>(), r[2].as<int64_t>(),
                    r[3].as<int64_t>()};
      s.deposits[d.uuid] = d;
    }
    for (const auto& r : tx.exec_params(
             "SELECT customer_id, user_name, balance FROM customers WHERE machine_id = $1",
             machine)) {
      s.customers[r[0].as<int64_t>()] =
          CustomerFact{r[0].as<int64_t>(), r[1].as<std::string>(), r[2].as<int64_t>()};
    }
    for (const auto& r :
         tx.exec_params("SELECT product_id, count FROM stock WHERE machine_id = $1", machine)) {
      s.stock[r[0].as<int64_t>()] = r[1].as<int64_t>();
    }
    for (const auto& r :
         tx.exec_params("SELECT id::text, status FROM commands WHERE machine_id = $1", machine)) {
      s.commands[r[0].as<std::string>()] = ParseState(r[1].as<std::string>());
    }
    for (const auto& r : tx.exec_params(
             "SELECT p.id, p.name, coalesce(mp.price, p.price), p.image, p.is_refundable, "
             "p.removed FROM products p LEFT JOIN machine_prices mp "
             "ON mp.product_id = p.id AND mp.machine_id = $1",
             machine)) {
      const int64_t id = r[0].as<int64_t>();
      if (r[5].as<bool>()) {
        s.removed_catalog.insert(id);
      } else {
        s.catalog[id] = ProductFact{r[1].as<std::string>(), r[2].as<int64_t>(),
                                    r[3].as<std::string>(), r[4].as<bool>()};
      }
    }
    tx.commit();
    return s;
  } catch (const pqxx::broken_connection& e) {
    return Status(Code::kUnavailable, "db_unavailable",
                  std::string("PostgreSQL connection lost: ") + e.what());
  } catch (const std::exception& e) {
    return Internal("reading machine " + machine + " from PostgreSQL: " + e.what());
  }
}

}  // namespace vend::fleet_check
