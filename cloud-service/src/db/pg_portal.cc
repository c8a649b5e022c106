#include "db/pg_portal.h"

#include <spdlog/spdlog.h>

#include <pqxx/pqxx>

#include "db/pg_run.h"

namespace vend::cloud::db {
namespace {

using nlohmann::json;

#define VEND_ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
// Exact microseconds since the epoch (extract returns numeric).
#define VEND_US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"
// A bigint parameter of microseconds since the epoch as a timestamptz.
#define VEND_TS(param) "('epoch'::timestamptz + " param "::bigint * interval '1 microsecond')"
// Midnight UTC today.
#define VEND_TODAY "(date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"

json Nullable(const pqxx::field& f) { return f.is_null() ? json() : json(f.c_str()); }
json NullableInt(const pqxx::field& f) { return f.is_null() ? json() : json(f.as<int64_t>()); }

Status UnknownMachine(const std::string& id) {
  return Status(Code::kNotFound, "unknown_machine", "machine '" + id + "' is not provisioned");
}

bool MachineExists(pqxx::transaction_base& tx, const std::string& id) {
  return !tx.exec_params("SELECT 1 FROM machines WHERE id = $1", id).empty();
}

core::Clock::time_point FromMicros(int64_t us) {
  return core::Clock::time_point(
      std::chrono::duration_cast<core::Clock::duration>(std::chrono::microseconds(us)));
}

constexpr const char* kMachineSelect =
    "SELECT m.id, m.online, " VEND_ISO("m.last_seen") ", m.agent_version, t.outbox_depth, "
    "m.watermark, (SELECT count(*) FROM commands c WHERE c.machine_id = m.id "
    "AND c.status = 'pending'), t.temperature_c, t.door_open, s.orders, s.cents "
    "FROM machines m LEFT JOIN telemetry_latest t ON t.machine_id = m.id "
    // Today's sales per machine through orders_by_machine (machine_id, created_at DESC).
    "CROSS JOIN LATERAL (SELECT count(*) AS orders, "
    "coalesce(sum(o.price - coalesce(o.refund_amount, 0)), 0) AS cents FROM orders o "
    "WHERE o.machine_id = m.id AND o.created_at >= " VEND_TODAY ") s "
    "WHERE ($1 = '' OR m.id = $1) ORDER BY m.id";

json MachineJson(const pqxx::row& r) {
  return {{"id", r[0].c_str()},
          {"online", r[1].as<bool>()},
          {"last_seen", Nullable(r[2])},
          {"agent_version", Nullable(r[3])},
          {"outbox_lag", NullableInt(r[4])},
          {"watermark", r[5].as<int64_t>()},
          {"pending_commands", r[6].as<int64_t>()},
          {"temperature_c", r[7].is_null() ? json() : json(r[7].as<double>())},
          {"door_open", r[8].is_null() ? json() : json(r[8].as<bool>())},
          {"today_orders", r[9].as<int64_t>()},
          {"today_cents", r[10].as<int64_t>()}};
}

constexpr const char* kProductSelect =
    "SELECT p.id, p.name, p.price, p.image, p.is_refundable, p.removed, p.low_stock_threshold, "
    "" VEND_ISO("p.updated_at") ", coalesce(i.sha256, '') FROM products p "
    "LEFT JOIN product_images i ON i.product_id = p.id ";

ProductRecord ProductFrom(const pqxx::row& r) {
  ProductRecord p;
  p.product.id = r[0].as<int64_t>();
  p.product.name = r[1].c_str();
  p.product.price = r[2].as<int64_t>();
  p.product.image = r[3].c_str();
  p.product.is_refundable = r[4].as<bool>();
  p.removed = r[5].as<bool>();
  p.low_stock_threshold = r[6].as<int64_t>();
  p.updated_at = r[7].c_str();
  p.image_sha256 = r[8].c_str();
  return p;
}

constexpr const char* kOrderSelect =
    "SELECT o.uuid::text, o.machine_id, o.order_id, o.customer_id, o.user_name, o.product_id, "
    "coalesce(p.name, ''), o.price, o.status, " VEND_ISO("o.created_at") ", " VEND_US(
        "o.created_at") ", " VEND_ISO("o.refunded_at") ", o.refund_amount "
                        "FROM orders o LEFT JOIN products p ON p.id = o.product_id ";

OrderRow OrderFrom(const pqxx::row& r) {
  OrderRow o;
  o.uuid = r[0].c_str();
  o.machine = r[1].c_str();
  o.order_id = r[2].as<int64_t>();
  o.customer_id = r[3].as<int64_t>();
  o.user_name = r[4].c_str();
  o.product_id = r[5].as<int64_t>();
  o.product_name = r[6].c_str();
  o.price = r[7].as<int64_t>();
  o.status = r[8].c_str();
  o.created_at = r[9].c_str();
  o.created_us = r[10].as<int64_t>();
  if (!r[11].is_null()) o.refunded_at = r[11].c_str();
  if (!r[12].is_null()) o.refund_amount = r[12].as<int64_t>();
  return o;
}

// The WHERE clause of an orders query and its parameters. Each filter is a plain
// predicate on an indexed column (schemas/sql/cloud/002_admin.sql), and the cursor is a
// row comparison in the page's order, so every page is one index range scan.
struct OrdersSql {
  std::string where;
  std::vector<std::string> params;

  std::string Param(std::string value) {
    params.push_back(std::move(value));
    return "$" + std::to_string(params.size());
  }
  void And(const std::string& predicate) {
    where += where.empty() ? "WHERE " : " AND ";
    where += predicate;
  }
};

// A bigint parameter of microseconds since the epoch as a timestamptz.
std::string Ts(const std::string& param) {
  return "('epoch'::timestamptz + " + param + "::bigint * interval '1 microsecond')";
}

OrdersSql BuildOrdersWhere(const core::OrderFilter& f, bool with_cursor) {
  OrdersSql q;
  if (f.machine) q.And("o.machine_id = " + q.Param(*f.machine));
  if (f.product) q.And("o.product_id = " + q.Param(std::to_string(*f.product)) + "::bigint");
  if (f.customer) q.And("o.user_name = " + q.Param(*f.customer));
  if (f.status) q.And("o.status = " + q.Param(*f.status));
  if (f.from) q.And("o.created_at >= " + Ts(q.Param(std::to_string(*f.from))));
  if (f.to) q.And("o.created_at < " + Ts(q.Param(std::to_string(*f.to))));
  if (with_cursor && f.cursor) {
    const auto& c = *f.cursor;
    const std::string ts = Ts(q.Param(std::to_string(c.created_us)));
    const std::string order = q.Param(std::to_string(c.order_id)) + "::bigint";
    q.And("o.created_at <= " + ts);
    if (f.machine && *f.machine == c.machine) {
      // One machine: (created_at, order_id) matches orders_by_machine.
      q.And("(o.created_at, o.order_id) < (" + ts + ", " + order + ")");
    } else {
      q.And("(o.created_at, o.machine_id, o.order_id) < (" + ts + ", " + q.Param(c.machine) + ", " +
            order + ")");
    }
  }
  return q;
}

}  // namespace

json ProductJson(const ProductRecord& p) {
  const bool has_image = !p.image_sha256.empty();
  return {{"id", p.product.id},
          {"name", p.product.name},
          {"price", p.product.price},
          {"is_refundable", p.product.is_refundable},
          {"low_stock_threshold", p.low_stock_threshold},
          {"removed", p.removed},
          {"image", p.product.image},
          {"has_image", has_image},
          {"image_url", has_image ? json("/api/v1/products/" + std::to_string(p.product.id) +
                                         "/image?v=" + p.image_sha256.substr(0, 8))
                                  : json()},
          {"updated_at", p.updated_at}};
}

json OrderJson(const OrderRow& o) {
  return {{"uuid", o.uuid},
          {"machine", o.machine},
          {"order_id", o.order_id},
          {"customer_id", o.customer_id},
          {"user_name", o.user_name},
          {"product_id", o.product_id},
          {"product_name", o.product_name},
          {"price", o.price},
          {"status", o.status},
          {"created_at", o.created_at},
          {"refunded_at", o.refunded_at ? json(*o.refunded_at) : json()},
          {"refund_amount", o.refund_amount ? json(*o.refund_amount) : json()}};
}

PgPortal::PgPortal(PgPool& pool) : pool_(pool) {}

Result<json> PgPortal::Machines(const std::string& machine) {
  return ReadOnly<json>(pool_, "list machines", [&](pqxx::read_transaction& tx) -> Result<json> {
    json out = json::array();
    for (const auto& r : tx.exec_params(kMachineSelect, machine)) out.push_back(MachineJson(r));
    return out;
  });
}

Result<json> PgPortal::MachineDetail(const std::string& machine) {
  return ReadOnly<json>(pool_, "machine detail", [&](pqxx::read_transaction& tx) -> Result<json> {
    auto m = tx.exec_params(kMachineSelect, machine);
    if (machine.empty() || m.empty()) return UnknownMachine(machine);
    json stock = json::array();
    for (const auto& r : tx.exec_params(
             "SELECT p.id, p.name, s.count, p.price, mp.price, p.low_stock_threshold "
             "FROM products p LEFT JOIN stock s ON s.machine_id = $1 AND s.product_id = p.id "
             "LEFT JOIN machine_prices mp ON mp.machine_id = $1 AND mp.product_id = p.id "
             "WHERE NOT p.removed ORDER BY p.id",
             machine)) {
      const int64_t threshold = r[5].as<int64_t>();
      const bool low = !r[2].is_null() && r[2].as<int64_t>() < threshold;
      stock.push_back({{"product_id", r[0].as<int64_t>()},
                       {"name", r[1].c_str()},
                       {"count", NullableInt(r[2])},
                       {"catalog_price", r[3].as<int64_t>()},
                       {"price", r[4].is_null() ? r[3].as<int64_t>() : r[4].as<int64_t>()},
                       {"price_override", NullableInt(r[4])},
                       {"low_stock_threshold", threshold},
                       {"low", low}});
    }
    json commands = json::array();
    for (const auto& r : tx.exec_params(
             "SELECT id::text, type, data::text, status, " VEND_ISO(
                 "issued_at") ", sent_count, " VEND_ISO("last_sent_at") " FROM commands "
                                                                        "WHERE machine_id = $1 "
                                                                        "AND status = 'pending' "
                                                                        "ORDER BY n LIMIT 500",
             machine)) {
      commands.push_back({{"id", r[0].c_str()},
                          {"type", r[1].c_str()},
                          {"data", json::parse(r[2].c_str())},
                          {"status", r[3].c_str()},
                          {"issued_at", r[4].c_str()},
                          {"sent_count", r[5].as<int64_t>()},
                          {"last_sent_at", Nullable(r[6])}});
    }
    return json{{"machine", MachineJson(m[0])}, {"stock", stock}, {"pending_commands", commands}};
  });
}

Result<json> PgPortal::Telemetry(const std::string& machine, core::EpochMicros from,
                                 core::EpochMicros to, int max_points) {
  return ReadOnly<json>(pool_, "telemetry", [&](pqxx::read_transaction& tx) -> Result<json> {
    if (!MachineExists(tx, machine)) return UnknownMachine(machine);
    // Every k-th sample with k = ceil(n / max): at most max points, evenly spread.
    json points = json::array();
    for (const auto& r : tx.exec_params(
             "SELECT " VEND_ISO("at") ", temperature_c, door_open, outbox_depth FROM "
                                      "(SELECT at, temperature_c, door_open, outbox_depth, "
                                      "row_number() OVER (ORDER BY at) AS rn, count(*) OVER () AS "
                                      "n FROM telemetry WHERE machine_id = $1 AND at >= " VEND_TS(
                                          "$2") " AND at <= " VEND_TS("$3") ") t "
                                                                            "WHERE (rn - 1) % ((n "
                                                                            "+ $4 - 1) / $4) = 0 "
                                                                            "ORDER BY at",
             machine, from, to, static_cast<int64_t>(max_points))) {
      points.push_back({{"at", r[0].c_str()},
                        {"temperature_c", r[1].as<double>()},
                        {"door_open", r[2].as<bool>()},
                        {"outbox_depth", r[3].as<int64_t>()}});
    }
    return points;
  });
}

Result<json> PgPortal::Sales(const std::string& machine, int days) {
  return ReadOnly<json>(pool_, "sales", [&](pqxx::read_transaction& tx) -> Result<json> {
    if (!MachineExists(tx, machine)) return UnknownMachine(machine);
    json out = json::array();
    for (const auto& r : tx.exec_params(
             "SELECT to_char(d, 'YYYY-MM-DD'), count(o.order_id), "
             "coalesce(sum(o.price - coalesce(o.refund_amount, 0)), 0), "
             "count(o.order_id) FILTER (WHERE o.status = 'refunded') "
             "FROM generate_series((now() AT TIME ZONE 'UTC')::date - ($2::int - 1), "
             "(now() AT TIME ZONE 'UTC')::date, interval '1 day') AS d "
             "LEFT JOIN orders o ON o.machine_id = $1 AND o.created_at >= (d AT TIME ZONE 'UTC') "
             "AND o.created_at < ((d + interval '1 day') AT TIME ZONE 'UTC') "
             "GROUP BY d ORDER BY d",
             machine, days)) {
      out.push_back({{"day", r[0].c_str()},
                     {"orders", r[1].as<int64_t>()},
                     {"cents", r[2].as<int64_t>()},
                     {"refunds", r[3].as<int64_t>()}});
    }
    return out;
  });
}

Result<json> PgPortal::Balances(const std::string& machine) {
  return ReadOnly<json>(pool_, "balances", [&](pqxx::read_transaction& tx) -> Result<json> {
    if (!MachineExists(tx, machine)) return UnknownMachine(machine);
    json customers = json::array();
    int64_t total = 0;
    for (const auto& r : tx.exec_params(
             "SELECT customer_id, user_name, balance, " VEND_ISO(
                 "updated_at") " FROM customers WHERE machine_id = $1 ORDER BY customer_id",
             machine)) {
      const int64_t balance = r[2].as<int64_t>();
      if (__builtin_add_overflow(total, balance, &total))
        return Internal("balance total overflows");
      customers.push_back({{"customer_id", r[0].as<int64_t>()},
                           {"user_name", r[1].c_str()},
                           {"balance", balance},
                           {"updated_at", r[3].c_str()}});
    }
    return json{{"customers", customers}, {"total", total}};
  });
}

Result<std::vector<ProductRecord>> PgPortal::Products(bool include_removed) {
  return ReadOnly<std::vector<ProductRecord>>(
      pool_, "list products",
      [&](pqxx::read_transaction& tx) -> Result<std::vector<ProductRecord>> {
        std::vector<ProductRecord> out;
        for (const auto& r :
             tx.exec_params(std::string(kProductSelect) + "WHERE $1 OR NOT p.removed ORDER BY p.id",
                            include_removed)) {
          out.push_back(ProductFrom(r));
        }
        return out;
      });
}

Result<ProductRecord> PgPortal::Product(int64_t id) {
  return ReadOnly<ProductRecord>(
      pool_, "product", [&](pqxx::read_transaction& tx) -> Result<ProductRecord> {
        auto r = tx.exec_params(std::string(kProductSelect) + "WHERE p.id = $1", id);
        if (r.empty()) {
          return Status(Code::kNotFound, "unknown_product",
                        "product " + std::to_string(id) + " is not in the catalog");
        }
        return ProductFrom(r[0]);
      });
}

Result<ProductImage> PgPortal::Image(int64_t id) {
  return ReadOnly<ProductImage>(
      pool_, "product image", [&](pqxx::read_transaction& tx) -> Result<ProductImage> {
        auto r = tx.exec_params(
            "SELECT content_type, data, sha256 FROM product_images WHERE product_id = $1", id);
        if (r.empty()) {
          return Status(Code::kNotFound, "no_image",
                        "product " + std::to_string(id) + " has no image");
        }
        return ProductImage{r[0][0].c_str(), pqxx::binarystring(r[0][1]).str(), r[0][2].c_str()};
      });
}

std::pair<std::string, std::vector<std::string>> PgPortal::OrdersQuery(const core::OrderFilter& f,
                                                                       bool with_cursor,
                                                                       size_t limit) {
  auto q = BuildOrdersWhere(f, with_cursor);
  return {std::string(kOrderSelect) + q.where +
              " ORDER BY o.created_at DESC, o.machine_id DESC, o.order_id DESC LIMIT " +
              std::to_string(limit),
          std::move(q.params)};
}

Result<OrderPage> PgPortal::Orders(const core::OrderFilter& f) {
  return ReadOnly<OrderPage>(pool_, "orders", [&](pqxx::read_transaction& tx) -> Result<OrderPage> {
    auto [sql, params] = OrdersQuery(f, /*with_cursor=*/true, static_cast<size_t>(f.limit) + 1);
    OrderPage page;
    for (const auto& r : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params))) {
      page.orders.push_back(OrderFrom(r));
    }
    if (page.orders.size() > static_cast<size_t>(f.limit)) {
      page.orders.resize(f.limit);
      const auto& last = page.orders.back();
      page.next = core::OrderCursor{last.created_us, last.machine, last.order_id};
    }
    return page;
  });
}

Result<std::vector<OrderRow>> PgPortal::OrdersForExport(const core::OrderFilter& f,
                                                        size_t max_rows) {
  return ReadOnly<std::vector<OrderRow>>(
      pool_, "orders export", [&](pqxx::read_transaction& tx) -> Result<std::vector<OrderRow>> {
        auto [sql, params] = OrdersQuery(f, /*with_cursor=*/false, max_rows);
        std::vector<OrderRow> out;
        for (const auto& r : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params))) {
          out.push_back(OrderFrom(r));
        }
        return out;
      });
}

Result<OrderRow> PgPortal::Order(const std::string& uuid) {
  return ReadOnly<OrderRow>(pool_, "order", [&](pqxx::read_transaction& tx) -> Result<OrderRow> {
    auto r = tx.exec_params(std::string(kOrderSelect) + "WHERE o.uuid = $1::uuid", uuid);
    if (r.empty()) return Status(Code::kNotFound, "unknown_order", "no order " + uuid);
    return OrderFrom(r[0]);
  });
}

Result<AlertInputs> PgPortal::AlertData(const std::string& machine) {
  return ReadOnly<AlertInputs>(
      pool_, "alert data", [&](pqxx::read_transaction& tx) -> Result<AlertInputs> {
        AlertInputs in;
        for (const auto& r : tx.exec_params(
                 "SELECT id, online, " VEND_US("last_seen") " FROM machines "
                                                            "WHERE $1 = '' OR id = $1 ORDER BY id",
                 machine)) {
          core::MachineSnapshot m{r[0].c_str(), r[1].as<bool>(), std::nullopt};
          if (!r[2].is_null()) m.last_seen = FromMicros(r[2].as<int64_t>());
          in.machines.push_back(std::move(m));
        }
        for (const auto& r : tx.exec_params(
                 "SELECT s.machine_id, s.product_id, p.name, s.count, p.low_stock_threshold, "
                 "p.removed, " VEND_US("s.updated_at") " FROM stock s JOIN products p "
                                                       "ON p.id = s.product_id WHERE NOT p.removed "
                                                       "AND s.count < p.low_stock_threshold AND "
                                                       "($1 = '' OR s.machine_id = $1)",
                 machine)) {
          in.stock.push_back({r[0].c_str(), r[1].as<int64_t>(), r[2].c_str(), r[3].as<int64_t>(),
                              r[4].as<int64_t>(), r[5].as<bool>(), FromMicros(r[6].as<int64_t>())});
        }
        for (const auto& r : tx.exec_params(
                 "SELECT machine_id, " VEND_US("at") ", temperature_c FROM telemetry_latest "
                                                     "WHERE $1 = '' OR machine_id = $1",
                 machine)) {
          in.telemetry.push_back({r[0].c_str(), FromMicros(r[1].as<int64_t>()), r[2].as<double>()});
        }
        return in;
      });
}

Result<json> PgPortal::Overview() {
  return ReadOnly<json>(pool_, "overview", [&](pqxx::read_transaction& tx) -> Result<json> {
    auto r = tx.exec(
        "SELECT (SELECT count(*) FROM machines), (SELECT count(*) FROM machines WHERE online), "
        "(SELECT count(*) FROM orders WHERE created_at >= " VEND_TODAY
        "), "
        "(SELECT coalesce(sum(price - coalesce(refund_amount, 0)), 0) FROM orders "
        "WHERE created_at >= " VEND_TODAY
        "), "
        "(SELECT count(*) FROM accounts WHERE NOT approved)");
    return json{{"machines", r[0][0].as<int64_t>()},
                {"online", r[0][1].as<int64_t>()},
                {"today_orders", r[0][2].as<int64_t>()},
                {"today_cents", r[0][3].as<int64_t>()},
                {"pending_accounts", r[0][4].as<int64_t>()}};
  });
}

}  // namespace vend::cloud::db
