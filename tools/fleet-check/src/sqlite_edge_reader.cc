#include "sqlite_edge_reader.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace vend::fleet_check {
namespace {

// The checker reads the edge's tables with its own SQL rather than through the edge's
// store, so a bug in that store cannot hide itself from the check.
class ReadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;

class Query {
 public:
  Query(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &st_, nullptr) != SQLITE_OK) {
      throw ReadError(std::string("cannot prepare '") + sql + "': " + sqlite3_errmsg(db));
    }
  }
  ~Query() { sqlite3_finalize(st_); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  bool Step() {
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw ReadError(std::string("query failed: ") + sqlite3_errmsg(db_));
  }
  int64_t Int(int col) const { return sqlite3_column_int64(st_, col); }
  std::string Text(int col) const {
    const auto* p = sqlite3_column_text(st_, col);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

void Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    throw ReadError(std::string(sql) + ": " + message);
  }
}

// A file path as the path of an SQLite URI: '%', '?' and '#' would otherwise end it or
// start an escape.
std::string UriPath(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      static const char kHex[] = "0123456789ABCDEF";
      out += '%';
      out += kHex[(static_cast<unsigned char>(c) >> 4) & 0xF];
      out += kHex[static_cast<unsigned char>(c) & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

EdgeSnapshot ReadAll(sqlite3* db) {
  EdgeSnapshot s;
  {
    Query q(db, "SELECT machine_id, last_seq, acked_seq FROM machine WHERE id = 1");
    if (!q.Step()) throw ReadError("table machine has no row: not a vend-edge database");
    s.machine_id = q.Text(0);
    s.last_seq = q.Int(1);
    s.acked_seq = q.Int(2);
  }
  {
    Query q(db, "SELECT seq, id, type, at, data FROM outbox ORDER BY seq");
    while (q.Step()) {
      const int64_t seq = q.Int(0);
      auto data = nlohmann::json::parse(q.Text(4), nullptr, /*allow_exceptions=*/false);
      if (data.is_discarded()) {
        throw ReadError("outbox row " + std::to_string(seq) + " holds invalid JSON");
      }
      auto decoded = schemas::DecodeEventData(q.Text(2), data);
      if (!decoded.ok()) {
        throw ReadError("outbox row " + std::to_string(seq) +
                        " does not decode: " + decoded.status().ToString());
      }
      s.outbox.push_back(schemas::Event{seq, Lower(q.Text(1)), q.Text(3), std::move(*decoded)});
    }
  }
  {
    Query q(db, "SELECT id, uuid, customer_id, product_id, price, status FROM orders");
    while (q.Step()) {
      OrderFact o;
      o.order_id = q.Int(0);
      o.uuid = Lower(q.Text(1));
      o.customer_id = q.Int(2);
      o.product_id = q.Int(3);
      o.price = q.Int(4);
      o.refunded = q.Text(5) == "refunded";
      // The edge refunds the full price.
      o.refund_amount = o.refunded ? o.price : 0;
      s.orders[o.order_id] = o;
    }
  }
  {
    Query q(db, "SELECT id, uuid, customer_id, amount FROM deposits");
    while (q.Step()) {
      DepositFact d{q.Int(0), Lower(q.Text(1)), q.Int(2), q.Int(3)};
      s.deposits[d.uuid] = d;
    }
  }
  {
    Query q(db, "SELECT id, user_name, balance FROM customers");
    while (q.Step()) s.customers[q.Int(0)] = CustomerFact{q.Int(0), q.Text(1), q.Int(2)};
  }
  {
    Query q(db, "SELECT id, count, name, price, image, is_refundable FROM products");
    while (q.Step()) {
      s.stock[q.Int(0)] = q.Int(1);
      s.catalog[q.Int(0)] = ProductFact{q.Text(2), q.Int(3), q.Text(4), q.Int(5) != 0};
    }
  }
  {
    Query q(db, "SELECT id FROM removed_products");
    while (q.Step()) s.removed_products.insert(q.Int(0));
  }
  {
    Query q(db, "SELECT id, outcome, seq FROM applied_commands");
    while (q.Step()) {
      const std::string outcome = q.Text(1);
      EdgeCommand c;
      c.outcome = outcome == "applied" ? CommandState::kApplied : CommandState::kRejected;
      c.seq = q.Int(2);
      s.commands[Lower(q.Text(0))] = c;
    }
  }
  return s;
}

}  // namespace

Result<EdgeSnapshot> ReadEdgeDatabase(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return NotFound("edge database " + path + " does not exist");
  }
  sqlite3* raw = nullptr;
  // mode=ro: never written. Not immutable=1: the -wal file of a running (or killed)
  // vend-edge holds committed transactions that must be read.
  const std::string uri = "file:" + UriPath(std::filesystem::absolute(path).string()) + "?mode=ro";
  const int rc =
      sqlite3_open_v2(uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    return Internal("cannot open " + path +
                    " read-only: " + (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  // vend-edge holds its write lock only for the length of one sale.
  sqlite3_busy_timeout(db.get(), 5000);
  try {
    // One read transaction: every table as of the same commit.
    Exec(db.get(), "BEGIN");
    EdgeSnapshot s = ReadAll(db.get());
    Exec(db.get(), "COMMIT");
    return s;
  } catch (const ReadError& e) {
    return Internal("reading " + path + ": " + e.what());
  }
}

}  // namespace vend::fleet_check
