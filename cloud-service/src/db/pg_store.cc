#include "db/pg_store.h"

#include <spdlog/spdlog.h>

#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>
#include <unordered_map>

#include "core/projection.h"
#include "db/pg_run.h"
#include "vend/ids.h"

namespace vend::cloud::db {
namespace {

using nlohmann::json;

// Serializes catalog changes with machine additions ("vendcat" as ASCII), so a machine
// added while a product changes gets the change either from its catalog sync or from
// the fan-out, never from neither.
constexpr int64_t kCatalogLock = 0x76656e64636174;

// The channel PgCommandSignal listens on; NOTIFY is delivered only at commit.
constexpr const char* kCommandChannel = "vend_commands";

// Renders a timestamptz column as the contract's ISO 8601 UTC form.
#define VEND_ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

// Events travel as jsonb arrays of {seq,id,type,at,data}.
constexpr const char* kEventColumns =
    "e(seq bigint, id uuid, type text, at timestamptz, data jsonb)";

struct Statement {
  const char* name;
  std::string sql;
};

const std::vector<Statement>& Statements() {
  static const std::vector<Statement> kStatements = {
      // Ingest. The row lock serializes everything that changes one machine's event log.
      {"lock_machine", "SELECT watermark FROM machines WHERE id = $1 FOR NO KEY UPDATE"},
      {"insert_events", std::string("INSERT INTO edge_events (machine_id, seq, id, type, at, data) "
                                    "SELECT $1, e.seq, e.id, e.type, e.at, e.data "
                                    "FROM jsonb_to_recordset($2::jsonb) AS ") +
                            kEventColumns +
                            " ON CONFLICT (machine_id, seq) DO NOTHING RETURNING seq"},
      {"insert_events_raw",
       std::string("INSERT INTO edge_events (machine_id, seq, id, type, at, data) "
                   "SELECT $1, e.seq, e.id, e.type, e.at, e.data "
                   "FROM jsonb_to_recordset(($2::jsonb)->'events') AS ") +
           kEventColumns + " ON CONFLICT (machine_id, seq) DO NOTHING RETURNING seq"},
      {"stored_events_above", "SELECT seq, id::text, type, " VEND_ISO(
                                  "at") ", data::text FROM edge_events "
                                        "WHERE machine_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"},
      {"upsert_customers",
       "INSERT INTO customers (machine_id, customer_id, user_name, balance, updated_at) "
       "SELECT $1, c.customer_id, c.user_name, c.balance, c.updated_at "
       "FROM jsonb_to_recordset($2::jsonb) AS "
       "c(customer_id bigint, user_name text, balance bigint, updated_at timestamptz) "
       "ON CONFLICT (machine_id, customer_id) DO UPDATE SET user_name = EXCLUDED.user_name, "
       "balance = EXCLUDED.balance, updated_at = EXCLUDED.updated_at"},
      // DO NOTHING: each order is applied once by the watermark; a row that exists anyway
      // can only come from a misbehaving edge, and must not wedge the machine's ingest.
      {"insert_orders",
       "INSERT INTO orders (machine_id, order_id, uuid, customer_id, user_name, product_id, "
       "price, status, created_at, refunded_at, refund_amount) "
       "SELECT $1, o.order_id, o.uuid, o.customer_id, o.user_name, o.product_id, o.price, "
       "o.status, o.created_at, o.refunded_at, o.refund_amount "
       "FROM jsonb_to_recordset($2::jsonb) AS o(order_id bigint, uuid uuid, customer_id bigint, "
       "user_name text, product_id bigint, price bigint, status text, created_at timestamptz, "
       "refunded_at timestamptz, refund_amount bigint) ON CONFLICT DO NOTHING"},
      {"refund_orders",
       "UPDATE orders o SET status = 'refunded', refunded_at = r.at, refund_amount = r.amount "
       "FROM jsonb_to_recordset($2::jsonb) AS r(order_id bigint, amount bigint, at timestamptz) "
       "WHERE o.machine_id = $1 AND o.order_id = r.order_id AND o.status = 'paid'"},
      {"insert_deposits",
       "INSERT INTO deposits (machine_id, deposit_id, uuid, customer_id, amount, created_at) "
       "SELECT $1, d.deposit_id, d.uuid, d.customer_id, d.amount, d.created_at "
       "FROM jsonb_to_recordset($2::jsonb) AS d(deposit_id bigint, uuid uuid, "
       "customer_id bigint, amount bigint, created_at timestamptz) ON CONFLICT DO NOTHING"},
      {"upsert_stock",
       "INSERT INTO stock (machine_id, product_id, count, updated_at) "
       "SELECT $1, s.product_id, s.count, s.updated_at FROM jsonb_to_recordset($2::jsonb) AS "
       "s(product_id bigint, count bigint, updated_at timestamptz) "
       "ON CONFLICT (machine_id, product_id) DO UPDATE SET count = EXCLUDED.count, "
       "updated_at = EXCLUDED.updated_at"},
      // Only this machine's own commands, and only while pending: a repeated or forged
      // outcome changes nothing.
      {"resolve_commands",
       "UPDATE commands c SET status = r.status, reason = NULLIF(r.reason, ''), "
       "resolved_at = r.at FROM jsonb_to_recordset($2::jsonb) AS "
       "r(id uuid, status text, reason text, at timestamptz) "
       "WHERE c.id = r.id AND c.machine_id = $1 AND c.status = 'pending'"},
      {"advance_watermark", "UPDATE machines SET watermark = $2, last_seen = now() WHERE id = $1"},
      {"touch_machine", "UPDATE machines SET last_seen = now() WHERE id = $1"},
      // Presence and telemetry.
      {"record_presence",
       "UPDATE machines SET online = $2, last_seen = now(), "
       "online_since = CASE WHEN $2 AND NOT online THEN now() ELSE online_since END, "
       "agent_version = coalesce(NULLIF($3, ''), agent_version) WHERE id = $1 RETURNING id"},
      {"insert_telemetry",
       "INSERT INTO telemetry (machine_id, at, temperature_c, door_open, uptime_s, "
       "outbox_depth, stock, version) SELECT id, $2, $3, $4, $5, $6, $7::jsonb, $8 "
       "FROM machines WHERE id = $1 RETURNING machine_id"},
      {"upsert_telemetry_latest",
       "INSERT INTO telemetry_latest (machine_id, at, received_at, temperature_c, door_open, "
       "uptime_s, outbox_depth, stock, version) "
       "VALUES ($1, $2, now(), $3, $4, $5, $6, $7::jsonb, $8) "
       "ON CONFLICT (machine_id) DO UPDATE SET at = EXCLUDED.at, received_at = now(), "
       "temperature_c = EXCLUDED.temperature_c, door_open = EXCLUDED.door_open, "
       "uptime_s = EXCLUDED.uptime_s, outbox_depth = EXCLUDED.outbox_depth, "
       "stock = EXCLUDED.stock, version = EXCLUDED.version "
       "WHERE telemetry_latest.at <= EXCLUDED.at"},
      // Dispatch: claim (lock) then stamp, in one short transaction; SKIP LOCKED lets
      // instances that dispatch at the same moment take disjoint rows. Commands must
      // reach a machine in issue order (a stock.set before its product.upsert would be
      // rejected), and an earlier publish may have been lost (no broker session yet,
      // broker crash): so the claim adds every still-pending command of the same machine
      // issued before the due ones, and the page limit applies to the due rows only, so
      // each round stamps them all and the dispatch loop always ends. When some of those
      // earlier rows are locked by another instance's claim (earlier_all, read without
      // locks, has rows that earlier could not lock), nothing of that machine is claimed:
      // it comes back as a busy row (id NULL, due = its due rows), never as a newer
      // command sent without the older ones. MATERIALIZED: each set is evaluated (and
      // locked) once. The stamp is a separate statement: its fresh snapshot sees the
      // latest version of every locked row (an UPDATE in the locking statement skips rows
      // another instance stamped after that statement's snapshot).
      {"claim_commands",
       "WITH due AS MATERIALIZED (SELECT c.id, c.machine_id, c.n FROM commands c "
       "JOIN machines m ON m.id = c.machine_id "
       "WHERE c.status = 'pending' AND ($1 = '' OR c.machine_id = $1) "
       "AND (NOT $2 OR m.online) AND (NOT $3 OR c.last_sent_at IS NULL) "
       "AND (c.last_sent_at IS NULL OR c.last_sent_at < now() - $4 * interval '1 millisecond') "
       "AND (NOT $6 OR c.last_sent_at IS NULL OR c.last_sent_at < m.online_since) "
       "ORDER BY c.machine_id, c.n LIMIT $5 FOR UPDATE OF c SKIP LOCKED), "
       "upto AS (SELECT machine_id, max(n) AS n FROM due GROUP BY machine_id), "
       "earlier_all AS MATERIALIZED (SELECT c.id, c.machine_id FROM commands c "
       "JOIN upto u ON u.machine_id = c.machine_id "
       "WHERE c.status = 'pending' AND c.n < u.n AND c.id NOT IN (SELECT id FROM due)), "
       "earlier AS MATERIALIZED (SELECT c.id, c.machine_id FROM commands c "
       "WHERE c.id IN (SELECT id FROM earlier_all) AND c.status = 'pending' "
       "FOR UPDATE OF c SKIP LOCKED), "
       "busy AS MATERIALIZED (SELECT DISTINCT a.machine_id FROM earlier_all a "
       "WHERE a.id NOT IN (SELECT id FROM earlier)) "
       "SELECT x.machine_id, x.id::text, 0::bigint AS due FROM "
       "(SELECT id, machine_id FROM due UNION ALL SELECT id, machine_id FROM earlier) x "
       "WHERE x.machine_id NOT IN (SELECT machine_id FROM busy) "
       "UNION ALL SELECT d.machine_id, NULL, count(*) "
       "FROM due d JOIN busy b ON b.machine_id = d.machine_id GROUP BY d.machine_id"},
      {"stamp_commands",
       "UPDATE commands c SET sent_count = c.sent_count + 1, last_sent_at = now() "
       "WHERE c.id IN (SELECT jsonb_array_elements_text($1::jsonb)::uuid) "
       "RETURNING c.machine_id, c.n, c.id::text, c.type, c.data::text, " VEND_ISO("c.issued_at")},
      {"insert_commands",
       "INSERT INTO commands (id, machine_id, type, data, issued_at) "
       "SELECT c.id, c.machine_id, c.type, c.data, c.issued_at "
       "FROM jsonb_to_recordset($1::jsonb) AS c(ord integer, id uuid, machine_id text, "
       "type text, data jsonb, issued_at timestamptz) ORDER BY c.ord"},
      {"catalog_lock", "SELECT pg_advisory_xact_lock($1)"},
  };
  return kStatements;
}

json OrdersJson(const std::vector<core::OrderRow>& rows) {
  json a = json::array();
  for (const auto& o : rows) {
    a.push_back({{"order_id", o.order_id},
                 {"uuid", o.uuid},
                 {"customer_id", o.customer_id},
                 {"user_name", o.user_name},
                 {"product_id", o.product_id},
                 {"price", o.price},
                 {"status", o.refunded ? "refunded" : "paid"},
                 {"created_at", o.created_at},
                 {"refunded_at", o.refunded ? json(o.refunded_at) : json()},
                 {"refund_amount", o.refunded ? json(o.refund_amount) : json()}});
  }
  return a;
}

// Writes the run's projection changes. Customers first: every order and deposit row
// of the run names a customer whose row it then finds.
void WriteDelta(pqxx::work& tx, const std::string& machine, const core::ProjectionDelta& d) {
  if (!d.customers.empty()) {
    json a = json::array();
    for (const auto& c : d.customers) {
      a.push_back({{"customer_id", c.customer_id},
                   {"user_name", c.user_name},
                   {"balance", c.balance},
                   {"updated_at", c.updated_at}});
    }
    tx.exec_prepared("upsert_customers", machine, a.dump());
  }
  if (!d.new_orders.empty())
    tx.exec_prepared("insert_orders", machine, OrdersJson(d.new_orders).dump());
  if (!d.refunds.empty()) {
    json a = json::array();
    for (const auto& r : d.refunds) {
      a.push_back({{"order_id", r.order_id}, {"amount", r.amount}, {"at", r.at}});
    }
    auto res = tx.exec_prepared("refund_orders", machine, a.dump());
    if (res.affected_rows() != d.refunds.size()) {
      spdlog::warn("ingest machine={} refunds of unknown or already refunded orders: {} of {}",
                   machine, d.refunds.size() - res.affected_rows(), d.refunds.size());
    }
  }
  if (!d.deposits.empty()) {
    json a = json::array();
    for (const auto& x : d.deposits) {
      a.push_back({{"deposit_id", x.deposit_id},
                   {"uuid", x.uuid},
                   {"customer_id", x.customer_id},
                   {"amount", x.amount},
                   {"created_at", x.created_at}});
    }
    tx.exec_prepared("insert_deposits", machine, a.dump());
  }
  if (!d.stock.empty()) {
    json a = json::array();
    for (const auto& s : d.stock) {
      a.push_back({{"product_id", s.product_id}, {"count", s.count}, {"updated_at", s.updated_at}});
    }
    tx.exec_prepared("upsert_stock", machine, a.dump());
  }
  if (!d.commands.empty()) {
    json a = json::array();
    for (const auto& c : d.commands) {
      a.push_back({{"id", c.command_id},
                   {"status", c.applied ? "applied" : "rejected"},
                   {"reason", c.reason},
                   {"at", c.at}});
    }
    tx.exec_prepared("resolve_commands", machine, a.dump());
  }
}

// Loads up to `limit` stored events of `machine` with seq > `after`, in seq order.
std::vector<schemas::Event> LoadStored(pqxx::work& tx, const std::string& machine, int64_t after,
                                       int64_t limit) {
  auto rows = tx.exec_prepared("stored_events_above", machine, after, limit);
  std::vector<schemas::Event> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    schemas::Event e;
    e.seq = r[0].as<int64_t>();
    e.id = r[1].c_str();
    e.at = r[3].c_str();
    auto data = schemas::DecodeEventData(r[2].c_str(), json::parse(r[4].c_str()));
    // Every stored event passed the same codec on its way in.
    if (!data.ok()) {
      throw std::runtime_error("stored event seq " + std::to_string(e.seq) + " of " + machine +
                               " does not decode: " + data.status().message());
    }
    e.data = std::move(data).value();
    out.push_back(std::move(e));
  }
  return out;
}

// Every column of a product the admin changes touch, plus its image digest.
std::optional<ProductRecord> LoadProduct(pqxx::work& tx, int64_t id, bool for_update) {
  auto r = tx.exec_params(
      std::string("SELECT p.id, p.name, p.price, p.image, p.is_refundable, p.removed, "
                  "p.low_stock_threshold, " VEND_ISO(
                      "p.updated_at") ", "
                                      "coalesce((SELECT i.sha256 FROM product_images i WHERE "
                                      "i.product_id = p.id), "
                                      "'') FROM products p WHERE p.id = $1") +
          (for_update ? " FOR UPDATE OF p" : ""),
      id);
  if (r.empty()) return std::nullopt;
  ProductRecord p;
  p.product.id = r[0][0].as<int64_t>();
  p.product.name = r[0][1].c_str();
  p.product.price = r[0][2].as<int64_t>();
  p.product.image = r[0][3].c_str();
  p.product.is_refundable = r[0][4].as<bool>();
  p.removed = r[0][5].as<bool>();
  p.low_stock_threshold = r[0][6].as<int64_t>();
  p.updated_at = r[0][7].c_str();
  p.image_sha256 = r[0][8].c_str();
  return p;
}

// The audit form of a product.
json ProductAudit(const ProductRecord& p) {
  return {{"id", p.product.id},
          {"name", p.product.name},
          {"price", p.product.price},
          {"image", p.product.image},
          {"is_refundable", p.product.is_refundable},
          {"low_stock_threshold", p.low_stock_threshold},
          {"removed", p.removed}};
}

// The audit row of a change made through the admin API; null `actor` (the CLI) writes
// none. Null JSON values are stored as SQL NULL.
void WriteAudit(pqxx::work& tx, const core::Actor* actor, const std::string& action,
                const std::string& target, const json& before, const json& after) {
  if (actor == nullptr) return;
  tx.exec_params(
      "INSERT INTO audit_log (actor_id, actor_username, action, target, before, after, "
      "request_id, remote_addr) VALUES (NULLIF($1, 0), $2, $3, $4, "
      "CASE WHEN $5 = '' THEN NULL ELSE $5::jsonb END, "
      "CASE WHEN $6 = '' THEN NULL ELSE $6::jsonb END, $7, $8)",
      actor->account_id, actor->username, action, target,
      before.is_null() ? std::string() : before.dump(),
      after.is_null() ? std::string() : after.dump(), actor->request_id, actor->remote_addr);
}

std::vector<std::string> IdsOf(const std::vector<core::PlannedCommand>& planned) {
  std::vector<std::string> ids;
  for (const auto& p : planned) ids.push_back(p.command.id);
  return ids;
}

std::vector<std::string> AllMachines(pqxx::work& tx) {
  std::vector<std::string> out;
  for (const auto& r : tx.exec("SELECT id FROM machines ORDER BY id")) out.push_back(r[0].c_str());
  return out;
}

bool MachineRowExists(pqxx::work& tx, const std::string& id) {
  return !tx.exec_params("SELECT 1 FROM machines WHERE id = $1", id).empty();
}

core::CommandStamp Stamp() {
  return {[] { return NewUuid(); }, NowIso8601()};
}

// Inserts the planned commands (in order) and wakes the dispatchers at commit.
void InsertCommands(pqxx::work& tx, const std::vector<core::PlannedCommand>& planned) {
  if (planned.empty()) return;
  json a = json::array();
  int ord = 0;
  for (const auto& p : planned) {
    a.push_back({{"ord", ord++},
                 {"id", p.command.id},
                 {"machine_id", p.machine_id},
                 {"type", schemas::CommandType(p.command.data)},
                 {"data", schemas::EncodeCommandData(p.command.data)},
                 {"issued_at", p.command.issued_at}});
  }
  tx.exec_prepared("insert_commands", a.dump());
  tx.exec_params("SELECT pg_notify($1, '')", std::string(kCommandChannel));
}

Status UnknownMachine(const std::string& id) {
  return Status(Code::kNotFound, "unknown_machine", "machine '" + id + "' is not provisioned");
}
Status UnknownProduct(int64_t id) {
  return Status(Code::kNotFound, "unknown_product",
                "product " + std::to_string(id) + " is not in the catalog");
}

}  // namespace

PgStore::PgStore(PgPool& pool) : pool_(pool) {}

void PgStore::Prepare(pqxx::connection& conn) {
  for (const auto& s : Statements()) conn.prepare(s.name, s.sql);
}

Result<core::IngestOutcome> PgStore::Ingest(const schemas::EventBatch& batch,
                                            std::string_view payload) {
  return WithConnection<core::IngestOutcome>(
      pool_, "ingest", [&](pqxx::connection& conn) -> Result<core::IngestOutcome> {
        pqxx::work tx(conn);
        auto locked = tx.exec_prepared("lock_machine", batch.machine);
        if (locked.empty()) return UnknownMachine(batch.machine);
        const int64_t watermark = locked[0][0].as<int64_t>();
        core::IngestOutcome out;

        // Every seq <= watermark is stored already (invariant of machines.watermark), so
        // those events conflict and are skipped either way.
        std::vector<const schemas::Event*> above;
        for (const auto& e : batch.events) {
          if (e.seq > watermark) above.push_back(&e);
        }
        std::set<int64_t> inserted;
        if (!above.empty()) {
          pqxx::result rows;
          if (!payload.empty()) {
            rows = tx.exec_prepared("insert_events_raw", batch.machine, std::string(payload));
          } else {
            json events = json::array();
            for (const auto* e : above) events.push_back(schemas::EncodeEvent(*e));
            rows = tx.exec_prepared("insert_events", batch.machine, events.dump());
          }
          for (const auto& r : rows) {
            const int64_t seq = r[0].as<int64_t>();
            if (seq > watermark) inserted.insert(seq);
          }
        }
        out.inserted = inserted.size();
        out.duplicates = batch.events.size() - inserted.size();

        // The run to apply: the batch's own events when this transaction stored all of
        // them (so the log holds exactly these), then whatever stored events continue it.
        std::vector<schemas::Event> run;
        int64_t next = watermark;
        if (inserted.size() == above.size()) {
          for (const auto* e : above) {
            if (e->seq != next + 1) break;
            run.push_back(*e);
            ++next;
          }
        }
        constexpr int64_t kPage = 2000;
        for (;;) {
          auto stored = LoadStored(tx, batch.machine, next, kPage);
          std::vector<int64_t> seqs;
          for (const auto& e : stored) seqs.push_back(e.seq);
          auto plan = core::PlanRun(next, seqs);
          for (size_t i = 0; i < plan.apply; ++i) run.push_back(std::move(stored[plan.skip + i]));
          next = plan.new_watermark;
          if (plan.gap) out.gap = true;
          if (plan.gap || static_cast<int64_t>(stored.size()) < kPage) break;
        }

        if (!run.empty()) {
          WriteDelta(tx, batch.machine, core::FoldEvents(run));
          tx.exec_prepared("advance_watermark", batch.machine, next);
        } else {
          tx.exec_prepared("touch_machine", batch.machine);
        }
        tx.commit();
        out.applied = run.size();
        out.watermark = next;
        return out;
      });
}

Status PgStore::RecordPresence(const std::string& machine, const schemas::Presence& p) {
  return ToStatus(
      WithConnection<bool>(pool_, "presence", [&](pqxx::connection& conn) -> Result<bool> {
        pqxx::work tx(conn);
        auto r = tx.exec_prepared("record_presence", machine, p.online, p.version.value_or(""));
        if (r.empty()) return UnknownMachine(machine);
        tx.commit();
        return true;
      }));
}

Status PgStore::RecordTelemetry(const std::string& machine, const schemas::Telemetry& t) {
  return ToStatus(
      WithConnection<bool>(pool_, "telemetry", [&](pqxx::connection& conn) -> Result<bool> {
        json stock = json::object();
        for (const auto& [id, count] : t.stock) stock[std::to_string(id)] = count;
        const std::string stock_json = stock.dump();
        pqxx::work tx(conn);
        auto r = tx.exec_prepared("insert_telemetry", machine, t.at, t.temperature_c, t.door_open,
                                  t.uptime_s, t.outbox_depth, stock_json, t.version);
        if (r.empty()) return UnknownMachine(machine);
        tx.exec_prepared("upsert_telemetry_latest", machine, t.at, t.temperature_c, t.door_open,
                         t.uptime_s, t.outbox_depth, stock_json, t.version);
        tx.commit();
        return true;
      }));
}

Result<int64_t> PgStore::PruneTelemetry(std::chrono::seconds retention) {
  return WithConnection<int64_t>(
      pool_, "prune telemetry", [&](pqxx::connection& conn) -> Result<int64_t> {
        pqxx::work tx(conn);
        auto r = tx.exec_params(
            "DELETE FROM telemetry WHERE received_at < now() - $1 * interval '1 second'",
            static_cast<int64_t>(retention.count()));
        tx.commit();
        return static_cast<int64_t>(r.affected_rows());
      });
}

Status PgStore::Ping() {
  return ToStatus(WithConnection<bool>(pool_, "ping", [&](pqxx::connection& conn) -> Result<bool> {
    pqxx::nontransaction tx(conn);
    tx.exec("SELECT 1");
    return true;
  }));
}

Result<core::FleetCounts> PgStore::Counts() {
  return WithConnection<
      core::FleetCounts>(pool_, "counts", [&](pqxx::connection& conn) -> Result<core::FleetCounts> {
    pqxx::nontransaction tx(conn);
    auto r = tx.exec(
        "SELECT (SELECT count(*) FROM machines), "
        "(SELECT count(*) FROM machines WHERE online), "
        "(SELECT count(*) FROM commands WHERE status = 'pending')");
    return core::FleetCounts{r[0][0].as<int64_t>(), r[0][1].as<int64_t>(), r[0][2].as<int64_t>()};
  });
}

Result<core::DispatchClaim> PgStore::ClaimForDispatch(const core::DispatchScope& scope) {
  return WithConnection<core::DispatchClaim>(
      pool_, "claim commands", [&](pqxx::connection& conn) -> Result<core::DispatchClaim> {
        pqxx::work tx(conn);
        core::DispatchClaim out;
        json ids = json::array();
        for (const auto& r :
             tx.exec_prepared("claim_commands", scope.machine, scope.only_online, scope.only_unsent,
                              static_cast<int64_t>(scope.min_resend_gap.count()),
                              static_cast<int64_t>(scope.limit), scope.not_sent_since_online)) {
          if (r[1].is_null()) {
            out.busy_machines.push_back(r[0].c_str());
            out.busy_rows += r[2].as<size_t>();
          } else {
            ids.push_back(r[1].c_str());
          }
        }
        pqxx::result rows;
        if (!ids.empty()) rows = tx.exec_prepared("stamp_commands", ids.dump());
        // Every claimed row is locked by this transaction, so the stamp must find it.
        if (rows.size() != ids.size()) {
          throw std::runtime_error("stamped " + std::to_string(rows.size()) + " of " +
                                   std::to_string(ids.size()) + " claimed commands");
        }
        tx.commit();
        struct Row {
          std::string machine;
          int64_t n;
          schemas::Command command;
        };
        std::vector<Row> claimed;
        for (const auto& r : rows) {
          auto data = schemas::DecodeCommandData(r[3].c_str(), json::parse(r[4].c_str()));
          if (!data.ok()) {
            spdlog::error("command id={} does not decode: {}", r[2].c_str(),
                          data.status().message());
            continue;
          }
          claimed.push_back(
              {r[0].c_str(), r[1].as<int64_t>(), {r[2].c_str(), r[5].c_str(), std::move(*data)}});
        }
        // RETURNING has no order: restore issue order per machine.
        std::sort(claimed.begin(), claimed.end(), [](const Row& a, const Row& b) {
          return a.machine != b.machine ? a.machine < b.machine : a.n < b.n;
        });
        std::sort(out.busy_machines.begin(), out.busy_machines.end());
        for (auto& c : claimed) {
          if (out.machines.empty() || out.machines.back().machine != c.machine) {
            out.machines.push_back({c.machine, {}});
          }
          out.machines.back().commands.push_back(std::move(c.command));
        }
        return out;
      });
}

Result<size_t> PgStore::AddMachine(const std::string& id, const std::string& mqtt_username) {
  if (auto s = core::ValidateMachineId(id); !s.ok()) return s;
  return WithConnection<size_t>(
      pool_, "add machine", [&](pqxx::connection& conn) -> Result<size_t> {
        pqxx::work tx(conn);
        tx.exec_prepared("catalog_lock", kCatalogLock);
        auto r = tx.exec_params(
            "INSERT INTO machines (id, mqtt_username) VALUES ($1, $2) ON CONFLICT DO NOTHING "
            "RETURNING id",
            id, mqtt_username);
        if (r.empty()) {
          return Status(Code::kConflict, "machine_exists", "machine '" + id + "' already exists");
        }
        std::vector<core::CatalogProduct> catalog;
        for (const auto& p : tx.exec("SELECT id, name, price, image, is_refundable FROM products "
                                     "WHERE NOT removed ORDER BY id")) {
          catalog.push_back({p[0].as<int64_t>(), p[1].c_str(), p[2].as<int64_t>(), p[3].c_str(),
                             p[4].as<bool>()});
        }
        auto planned = core::PlanCatalogFor(id, catalog, {}, Stamp());
        InsertCommands(tx, planned);
        tx.commit();
        return planned.size();
      });
}

Result<bool> PgStore::MachineExists(const std::string& id) {
  return WithConnection<bool>(pool_, "machine exists", [&](pqxx::connection& conn) -> Result<bool> {
    pqxx::work tx(conn);
    return MachineRowExists(tx, id);
  });
}

Result<std::vector<core::MachineSummary>> PgStore::ListMachines() {
  return WithConnection<std::vector<core::MachineSummary>>(
      pool_, "list machines",
      [&](pqxx::connection& conn) -> Result<std::vector<core::MachineSummary>> {
        pqxx::work tx(conn);
        std::vector<core::MachineSummary> out;
        for (const auto& r : tx.exec("SELECT m.id, m.online, coalesce(" VEND_ISO(
                 "m.last_seen") ", ''), "
                                "coalesce(m.agent_version, ''), m.watermark, "
                                "(SELECT count(*) FROM commands c WHERE c.machine_id = m.id "
                                "AND c.status = 'pending') FROM machines m ORDER BY m.id")) {
          out.push_back({r[0].c_str(), r[1].as<bool>(), r[2].c_str(), r[3].c_str(),
                         r[4].as<int64_t>(), r[5].as<int64_t>()});
        }
        return out;
      });
}

namespace {
// The fleet CLI's changes go into the audit log too, under this name (no account).
const core::Actor kCliActor{0, "cli", "", ""};
}  // namespace

Result<size_t> PgStore::AddProduct(const core::CatalogProduct& p) {
  auto r = CreateProduct(p, std::nullopt, &kCliActor);
  if (!r.ok()) return r.status();
  return r->command_ids.size();
}

Result<size_t> PgStore::UpdateProduct(int64_t id, const core::ProductPatch& patch) {
  auto r = ChangeProduct(id, patch, &kCliActor);
  if (!r.ok()) return r.status();
  return r->command_ids.size();
}

Result<size_t> PgStore::RemoveProduct(int64_t id) {
  auto r = DeleteProduct(id, &kCliActor);
  if (!r.ok()) return r.status();
  return r->command_ids.size();
}

Status PgStore::SetStock(const std::string& machine, int64_t product, int64_t count) {
  return ChangeStock(machine, product, {true, count}, &kCliActor).status();
}

Status PgStore::AddStock(const std::string& machine, int64_t product, int64_t delta) {
  return ChangeStock(machine, product, {false, delta}, &kCliActor).status();
}

Status PgStore::SetPrice(const std::string& machine, int64_t product, int64_t cents) {
  return ChangePrice(machine, product, cents, &kCliActor).status();
}

namespace {

std::string ProductTarget(int64_t id) { return "product:" + std::to_string(id); }
std::string SlotTarget(const std::string& machine, int64_t product) {
  return "machine:" + machine + "/product:" + std::to_string(product);
}

// Each machine's own price of `product`.
std::map<std::string, int64_t> Overrides(pqxx::work& tx, int64_t product) {
  std::map<std::string, int64_t> out;
  for (const auto& r : tx.exec_params(
           "SELECT machine_id, price FROM machine_prices WHERE product_id = $1", product)) {
    out[r[0].c_str()] = r[1].as<int64_t>();
  }
  return out;
}

// The product as it is after this transaction's change (it must exist).
ProductRecord Reload(pqxx::work& tx, int64_t id) {
  auto p = LoadProduct(tx, id, /*for_update=*/false);
  if (!p) throw std::logic_error("product " + std::to_string(id) + " vanished in its transaction");
  return *p;
}

// Checks that a stock or price command addresses a provisioned machine and a product
// that is in the catalog.
Result<ProductRecord> CheckTarget(pqxx::work& tx, const std::string& machine, int64_t product,
                                  bool for_update) {
  if (!MachineRowExists(tx, machine)) return UnknownMachine(machine);
  auto p = LoadProduct(tx, product, for_update);
  if (!p || p->removed) return UnknownProduct(product);
  return *p;
}

}  // namespace

Result<AdminChange> PgStore::CreateProduct(core::CatalogProduct p, std::optional<int64_t> threshold,
                                           const core::Actor* actor) {
  if (p.id != 0) {
    if (auto s = core::ValidateProduct(p); !s.ok()) return s;
  }
  if (threshold) {
    if (auto s = core::ValidateLowStockThreshold(*threshold); !s.ok()) return s;
  }
  return WithConnection<AdminChange>(
      pool_, "add product", [&](pqxx::connection& conn) -> Result<AdminChange> {
        pqxx::work tx(conn);
        tx.exec_prepared("catalog_lock", kCatalogLock);
        core::CatalogProduct product = p;
        if (product.id == 0) {
          product.id = tx.exec("SELECT coalesce(max(id), 0) + 1 FROM products")[0][0].as<int64_t>();
          if (auto s = core::ValidateProduct(product); !s.ok()) return s;
        }
        auto existing = LoadProduct(tx, product.id, /*for_update=*/true);
        if (existing && !existing->removed) {
          return Status(Code::kConflict, "product_exists",
                        "product " + std::to_string(product.id) + " is already in the catalog");
        }
        // A re-added product keeps its threshold unless one is given.
        tx.exec_params(
            "INSERT INTO products (id, name, price, image, is_refundable, removed, updated_at, "
            "low_stock_threshold) VALUES ($1, $2, $3, $4, $5, false, now(), coalesce(NULLIF($6, "
            "'')::bigint, $7)) "
            "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, price = EXCLUDED.price, "
            "image = EXCLUDED.image, is_refundable = EXCLUDED.is_refundable, removed = false, "
            "updated_at = now(), low_stock_threshold = coalesce(NULLIF($6, '')::bigint, "
            "products.low_stock_threshold)",
            product.id, product.name, product.price, product.image, product.is_refundable,
            threshold ? pqxx::to_string(*threshold) : std::string(),
            core::kDefaultLowStockThreshold);
        // A re-added product starts without per-machine prices or an uploaded image.
        tx.exec_params("DELETE FROM machine_prices WHERE product_id = $1", product.id);
        tx.exec_params("DELETE FROM product_images WHERE product_id = $1", product.id);
        auto planned = core::PlanUpsertEverywhere(product, AllMachines(tx), {}, Stamp());
        InsertCommands(tx, planned);
        AdminChange out{Reload(tx, product.id), IdsOf(planned)};
        WriteAudit(tx, actor, "product.create", ProductTarget(product.id),
                   existing ? ProductAudit(*existing) : json(), ProductAudit(*out.product));
        tx.commit();
        return out;
      });
}

Result<AdminChange> PgStore::ChangeProduct(int64_t id, const core::ProductPatch& patch,
                                           const core::Actor* actor) {
  if (auto s = core::ValidateProductId(id); !s.ok()) return s;
  if (patch.low_stock_threshold) {
    if (auto s = core::ValidateLowStockThreshold(*patch.low_stock_threshold); !s.ok()) return s;
  }
  return WithConnection<AdminChange>(
      pool_, "update product", [&](pqxx::connection& conn) -> Result<AdminChange> {
        pqxx::work tx(conn);
        tx.exec_prepared("catalog_lock", kCatalogLock);
        auto existing = LoadProduct(tx, id, /*for_update=*/true);
        if (!existing || existing->removed) return UnknownProduct(id);
        auto updated = core::ApplyPatch(existing->product, patch);
        if (!updated.ok()) return updated.status();
        const auto& p = *updated;
        tx.exec_params(
            "UPDATE products SET name = $2, price = $3, image = $4, is_refundable = $5, "
            "low_stock_threshold = $6, updated_at = now() WHERE id = $1",
            p.id, p.name, p.price, p.image, p.is_refundable,
            patch.low_stock_threshold.value_or(existing->low_stock_threshold));
        std::vector<core::PlannedCommand> planned;
        if (patch.touches_edge()) {
          planned = core::PlanUpsertEverywhere(p, AllMachines(tx), Overrides(tx, id), Stamp());
          InsertCommands(tx, planned);
        }
        AdminChange out{Reload(tx, id), IdsOf(planned)};
        WriteAudit(tx, actor, "product.update", ProductTarget(id), ProductAudit(*existing),
                   ProductAudit(*out.product));
        tx.commit();
        return out;
      });
}

Result<AdminChange> PgStore::DeleteProduct(int64_t id, const core::Actor* actor) {
  if (auto s = core::ValidateProductId(id); !s.ok()) return s;
  return WithConnection<AdminChange>(
      pool_, "remove product", [&](pqxx::connection& conn) -> Result<AdminChange> {
        pqxx::work tx(conn);
        tx.exec_prepared("catalog_lock", kCatalogLock);
        auto existing = LoadProduct(tx, id, /*for_update=*/true);
        if (!existing || existing->removed) return UnknownProduct(id);
        tx.exec_params("UPDATE products SET removed = true, updated_at = now() WHERE id = $1", id);
        auto planned = core::PlanRemoveEverywhere(id, AllMachines(tx), Stamp());
        InsertCommands(tx, planned);
        AdminChange out{Reload(tx, id), IdsOf(planned)};
        WriteAudit(tx, actor, "product.delete", ProductTarget(id), ProductAudit(*existing),
                   ProductAudit(*out.product));
        tx.commit();
        return out;
      });
}

Result<AdminChange> PgStore::SetProductImage(int64_t id, const std::string& content_type,
                                             const std::string& ext, const std::string& bytes,
                                             const core::Actor* actor) {
  if (auto s = core::ValidateProductId(id); !s.ok()) return s;
  return WithConnection<AdminChange>(
      pool_, "set product image", [&](pqxx::connection& conn) -> Result<AdminChange> {
        pqxx::work tx(conn);
        tx.exec_prepared("catalog_lock", kCatalogLock);
        auto existing = LoadProduct(tx, id, /*for_update=*/true);
        if (!existing || existing->removed) return UnknownProduct(id);
        auto digest = tx.exec_params(
            "INSERT INTO product_images (product_id, content_type, data, sha256, updated_at) "
            "VALUES ($1, $2, $3, encode(sha256($3), 'hex'), now()) ON CONFLICT (product_id) DO "
            "UPDATE SET content_type = EXCLUDED.content_type, data = EXCLUDED.data, "
            "sha256 = EXCLUDED.sha256, updated_at = now() RETURNING sha256",
            id, content_type, pqxx::binarystring(bytes));
        core::ProductPatch patch;
        patch.image = core::ImageFileName(id, digest[0][0].c_str(), ext);
        auto updated = core::ApplyPatch(existing->product, patch);
        if (!updated.ok()) return updated.status();
        tx.exec_params("UPDATE products SET image = $2, updated_at = now() WHERE id = $1", id,
                       updated->image);
        auto planned =
            core::PlanUpsertEverywhere(*updated, AllMachines(tx), Overrides(tx, id), Stamp());
        InsertCommands(tx, planned);
        AdminChange out{Reload(tx, id), IdsOf(planned)};
        json before = ProductAudit(*existing), after = ProductAudit(*out.product);
        before["image_sha256"] = existing->image_sha256;
        after["image_sha256"] = out.product->image_sha256;
        after["content_type"] = content_type;
        after["bytes"] = bytes.size();
        WriteAudit(tx, actor, "product.image", ProductTarget(id), before, after);
        tx.commit();
        return out;
      });
}

Result<AdminChange> PgStore::ChangeStock(const std::string& machine, int64_t product,
                                         const StockChange& change, const core::Actor* actor) {
  if (auto s = core::ValidateMachineId(machine); !s.ok()) return s;
  if (auto s = core::ValidateProductId(product); !s.ok()) return s;
  if (auto s = change.set ? core::ValidateStockCount(change.value)
                          : core::ValidateStockDelta(change.value);
      !s.ok()) {
    return s;
  }
  return WithConnection<AdminChange>(
      pool_, change.set ? "set stock" : "add stock",
      [&](pqxx::connection& conn) -> Result<AdminChange> {
        pqxx::work tx(conn);
        auto target = CheckTarget(tx, machine, product, /*for_update=*/false);
        if (!target.ok()) return target.status();
        schemas::CommandData data = schemas::StockSet{product, change.value};
        if (!change.set) data = schemas::StockAdd{product, change.value};
        std::vector<core::PlannedCommand> planned = {core::PlanCommand(machine, data, Stamp())};
        InsertCommands(tx, planned);
        json before;
        auto count = tx.exec_params(
            "SELECT count FROM stock WHERE machine_id = $1 AND product_id = $2", machine, product);
        if (!count.empty()) before = {{"count", count[0][0].as<int64_t>()}};
        WriteAudit(
            tx, actor, change.set ? "stock.set" : "stock.add", SlotTarget(machine, product), before,
            {{change.set ? "set" : "add", change.value}, {"command_id", planned[0].command.id}});
        tx.commit();
        return AdminChange{std::nullopt, IdsOf(planned)};
      });
}

Result<AdminChange> PgStore::ChangePrice(const std::string& machine, int64_t product, int64_t cents,
                                         const core::Actor* actor) {
  if (auto s = core::ValidateMachineId(machine); !s.ok()) return s;
  if (auto s = core::ValidateProductId(product); !s.ok()) return s;
  if (auto s = core::ValidatePrice(cents); !s.ok()) return s;
  return WithConnection<
      AdminChange>(pool_, "set price", [&](pqxx::connection& conn) -> Result<AdminChange> {
    pqxx::work tx(conn);
    tx.exec_prepared("catalog_lock", kCatalogLock);
    auto p = CheckTarget(tx, machine, product, /*for_update=*/true);
    if (!p.ok()) return p.status();
    auto old =
        tx.exec_params("SELECT price FROM machine_prices WHERE machine_id = $1 AND product_id = $2",
                       machine, product);
    const int64_t before = old.empty() ? p->product.price : old[0][0].as<int64_t>();
    tx.exec_params(
        "INSERT INTO machine_prices (machine_id, product_id, price) VALUES ($1, $2, $3) "
        "ON CONFLICT (machine_id, product_id) DO UPDATE SET price = EXCLUDED.price, "
        "updated_at = now()",
        machine, product, cents);
    auto planned = core::PlanUpsertEverywhere(p->product, {machine}, {{machine, cents}}, Stamp());
    InsertCommands(tx, planned);
    WriteAudit(tx, actor, "price.set", SlotTarget(machine, product),
               {{"price", before}, {"override", !old.empty()}},
               {{"price", cents}, {"override", true}, {"command_id", planned[0].command.id}});
    tx.commit();
    return AdminChange{std::nullopt, IdsOf(planned)};
  });
}

Result<AdminChange> PgStore::ClearPrice(const std::string& machine, int64_t product,
                                        const core::Actor* actor) {
  if (auto s = core::ValidateMachineId(machine); !s.ok()) return s;
  if (auto s = core::ValidateProductId(product); !s.ok()) return s;
  return WithConnection<AdminChange>(
      pool_, "clear price", [&](pqxx::connection& conn) -> Result<AdminChange> {
        pqxx::work tx(conn);
        tx.exec_prepared("catalog_lock", kCatalogLock);
        auto p = CheckTarget(tx, machine, product, /*for_update=*/true);
        if (!p.ok()) return p.status();
        auto old = tx.exec_params(
            "DELETE FROM machine_prices WHERE machine_id = $1 AND product_id = $2 "
            "RETURNING price",
            machine, product);
        if (old.empty()) {
          return Status(
              Code::kNotFound, "no_override",
              "machine '" + machine + "' has no own price for product " + std::to_string(product));
        }
        auto planned = core::PlanUpsertEverywhere(p->product, {machine}, {}, Stamp());
        InsertCommands(tx, planned);
        WriteAudit(tx, actor, "price.clear", SlotTarget(machine, product),
                   {{"price", old[0][0].as<int64_t>()}, {"override", true}},
                   {{"price", p->product.price},
                    {"override", false},
                    {"command_id", planned[0].command.id}});
        tx.commit();
        return AdminChange{std::nullopt, IdsOf(planned)};
      });
}

struct PgCommandSignal::Impl {
  // Counts notifications delivered while the connection is polled.
  class Receiver : public pqxx::notification_receiver {
   public:
    Receiver(pqxx::connection_base& c, int* hits)
        : pqxx::notification_receiver(c, kCommandChannel), hits_(hits) {}
    void operator()(const std::string&, int) override { ++*hits_; }

   private:
    int* hits_;
  };

  std::string url;
  std::unique_ptr<pqxx::connection> conn;
  std::unique_ptr<Receiver> receiver;
  int hits = 0;

  void Close() {
    receiver.reset();
    conn.reset();
  }
};

PgCommandSignal::PgCommandSignal(std::string url) : impl_(std::make_unique<Impl>()) {
  impl_->url = std::move(url);
}

PgCommandSignal::~PgCommandSignal() { impl_->Close(); }

Result<bool> PgCommandSignal::Wait(std::chrono::milliseconds timeout) {
  auto& s = *impl_;
  try {
    if (s.conn == nullptr || !s.conn->is_open()) {
      s.Close();
      auto c = PgPool::Connect(s.url);
      if (!c.ok()) return c.status();
      s.conn = std::move(c).value();
      s.receiver = std::make_unique<Impl::Receiver>(*s.conn, &s.hits);
      // Commands queued while nobody listened are found by the caller's first sweep.
      s.conn->get_notifs();
    }
    s.hits = 0;
    s.conn->await_notification(static_cast<long>(timeout.count() / 1000),
                               static_cast<long>((timeout.count() % 1000) * 1000));
    return s.hits > 0;
  } catch (const std::exception& e) {
    s.Close();
    return Status(Code::kUnavailable, "db_unavailable",
                  std::string("waiting for command notifications: ") + e.what());
  }
}

}  // namespace vend::cloud::db
