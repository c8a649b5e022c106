// A thin RAII layer over one sqlite3 connection: cached prepared statements with bound
// parameters only, and the migration runner.
//
// Errors inside the store are thrown as SqliteError and caught at the transaction
// boundary of the store, which turns them into a Status; they never cross the store's
// public interface. A SqliteConn belongs to one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "vend/migrations.h"
#include "vend/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace vend::edge::store {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

class SqliteConn;

// A cached statement checked out for one use; reset and unbound when it goes away.
class Query {
 public:
  Query(Query&& other) noexcept : conn_(other.conn_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query();

  // Parameters are 1-based, as in SQLite.
  Query& Bind(int index, int64_t value);
  Query& Bind(int index, std::string_view value);
  Query& BindOptional(int index, const std::optional<std::string>& value);
  Query& BindNull(int index);

  // Advances to the next row; false when done. Throws SqliteError on failure.
  bool Step();
  // Runs a statement that returns no rows.
  void Run();

  int64_t Int(int col) const;
  std::string Text(int col) const;
  bool IsNull(int col) const;

 private:
  friend class SqliteConn;
  Query(SqliteConn* conn, sqlite3_stmt* stmt) : conn_(conn), stmt_(stmt) {}
  SqliteConn* conn_;
  sqlite3_stmt* stmt_;
};

class SqliteConn {
 public:
  // Opens (creating if asked) the database with WAL, synchronous=FULL, foreign keys and
  // a busy timeout. Throws SqliteError.
  SqliteConn(const std::string& path, bool create);
  ~SqliteConn();
  SqliteConn(const SqliteConn&) = delete;
  SqliteConn& operator=(const SqliteConn&) = delete;

  Query Prepare(const char* sql);
  void Exec(const char* sql);  // one or more statements, no parameters
  int64_t Changes() const;
  int64_t LastInsertId() const;
  [[noreturn]] void Fail(const char* what) const;
  sqlite3* raw() { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;  // keyed by the SQL literal
};

// Applies, in order and each in its own transaction, every migration whose version is
// above the database's; refuses (FailedPrecondition-like kConflict) a database whose
// version is newer than the newest known migration.
Status Migrate(SqliteConn& conn, const std::vector<schemas::Migration>& migrations);

}  // namespace vend::edge::store

namespace vend::edge::sql {
// Defined by the build from schemas/sql/edge/*.sql.
const std::vector<schemas::Migration>& Migrations();
}  // namespace vend::edge::sql
