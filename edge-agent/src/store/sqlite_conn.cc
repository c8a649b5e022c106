#include "store/sqlite_conn.h"

#include <sqlite3.h>

#include <string>

namespace vend::edge::store {

Query::~Query() {
  if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Query& Query::Bind(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) conn_->Fail("bind");
  return *this;
}

Query& Query::Bind(int index, std::string_view value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK) {
    conn_->Fail("bind");
  }
  return *this;
}

Query& Query::BindOptional(int index, const std::optional<std::string>& value) {
  return value ? Bind(index, std::string_view(*value)) : BindNull(index);
}

Query& Query::BindNull(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) conn_->Fail("bind");
  return *this;
}

bool Query::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  conn_->Fail("step");
}

void Query::Run() {
  while (Step()) {
  }
}

int64_t Query::Int(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Query::Text(int col) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}

bool Query::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

SqliteConn::SqliteConn(const std::string& path, bool create) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqliteError(SQLITE_CANTOPEN, "cannot open " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  // WAL lets readers run beside the writer; FULL syncs the WAL on every commit so an
  // acknowledged sale survives power loss.
  Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
}

SqliteConn::~SqliteConn() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Query SqliteConn::Prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
      Fail("prepare");
    }
    it = cache_.emplace(sql, stmt).first;
  }
  return Query(this, it->second);
}

void SqliteConn::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw SqliteError(sqlite3_extended_errcode(db_), std::string("exec: ") + msg);
  }
}

int64_t SqliteConn::Changes() const { return sqlite3_changes64(db_); }
int64_t SqliteConn::LastInsertId() const { return sqlite3_last_insert_rowid(db_); }

void SqliteConn::Fail(const char* what) const {
  throw SqliteError(sqlite3_extended_errcode(db_), std::string(what) + ": " + sqlite3_errmsg(db_));
}

Status Migrate(SqliteConn& conn, const std::vector<schemas::Migration>& migrations) {
  try {
    conn.Exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
    int64_t current = 0;
    {
      auto q = conn.Prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
      if (q.Step()) current = q.Int(0);
    }
    int64_t newest = migrations.empty() ? 0 : migrations.back().version;
    if (current > newest) {
      return Status(Code::kConflict, "schema_too_new",
                    "database schema version " + std::to_string(current) +
                        " is newer than this binary's " + std::to_string(newest) +
                        "; run a newer vend-edge");
    }
    for (const auto& m : migrations) {
      if (m.version <= current) continue;
      conn.Exec("BEGIN IMMEDIATE");
      try {
        conn.Exec(m.sql);
        conn.Prepare(
                "INSERT INTO schema_migrations (version, name, applied_at) "
                "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))")
            .Bind(1, int64_t{m.version})
            .Bind(2, std::string_view(m.name))
            .Run();
        conn.Exec("COMMIT");
      } catch (...) {
        conn.Exec("ROLLBACK");
        throw;
      }
    }
    return Status::Ok();
  } catch (const SqliteError& e) {
    return Internal(std::string("migration failed: ") + e.what());
  }
}

}  // namespace vend::edge::store
