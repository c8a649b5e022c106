#include "db/pg_migrate.h"

#include <spdlog/spdlog.h>

#include <pqxx/pqxx>

#include "db/pg_pool.h"

namespace vend::cloud::db {
namespace {

// Advisory lock key of the migration runner ("vendmigr" as ASCII).
constexpr int64_t kMigrationLock = 0x76656e646d696772;

constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "  version integer PRIMARY KEY,"
    "  name text NOT NULL,"
    "  applied_at timestamptz NOT NULL DEFAULT now())";

int CurrentVersion(pqxx::connection& conn) {
  pqxx::work tx(conn);
  auto r = tx.exec("SELECT coalesce(max(version), 0) FROM schema_migrations");
  tx.commit();
  return r[0][0].as<int>();
}

}  // namespace

Result<MigrationReport> Migrate(const std::string& url,
                                const std::vector<schemas::Migration>& migrations) {
  auto conn = PgPool::Connect(url);
  if (!conn.ok()) return conn.status();
  auto& c = **conn;
  MigrationReport report;
  try {
    // Session-level: held across the per-migration transactions below and released
    // when the connection closes, even if this process dies.
    pqxx::nontransaction(c).exec_params("SELECT pg_advisory_lock($1)", kMigrationLock);
    {
      pqxx::work tx(c);
      tx.exec(kCreateTable);
      tx.commit();
    }
    report.from_version = CurrentVersion(c);
    int newest = migrations.empty() ? 0 : migrations.back().version;
    if (report.from_version > newest) {
      return Status(Code::kConflict, "database_too_new",
                    "the database schema is version " + std::to_string(report.from_version) +
                        " but this vend-cloud knows only up to " + std::to_string(newest) +
                        ": use a newer vend-cloud");
    }
    for (const auto& m : migrations) {
      if (m.version <= report.from_version) continue;
      pqxx::work tx(c);
      tx.exec(m.sql);
      tx.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version,
                     std::string(m.name));
      tx.commit();
      report.applied.push_back(m.version);
      spdlog::info("migration applied version={} name={}", m.version, m.name);
    }
    report.to_version = std::max(report.from_version, newest);
    pqxx::nontransaction(c).exec_params("SELECT pg_advisory_unlock($1)", kMigrationLock);
  } catch (const pqxx::broken_connection& e) {
    return Status(Code::kUnavailable, "db_unavailable", std::string("migration: ") + e.what());
  } catch (const std::exception& e) {
    return Internal(std::string("migration failed: ") + e.what());
  }
  return report;
}

Result<int> SchemaVersion(const std::string& url) {
  auto conn = PgPool::Connect(url);
  if (!conn.ok()) return conn.status();
  try {
    pqxx::work tx(**conn);
    auto exists = tx.exec("SELECT to_regclass('schema_migrations') IS NOT NULL");
    if (!exists[0][0].as<bool>()) return 0;
    auto r = tx.exec("SELECT coalesce(max(version), 0) FROM schema_migrations");
    return r[0][0].as<int>();
  } catch (const std::exception& e) {
    return Internal(std::string("reading the schema version failed: ") + e.what());
  }
}

}  // namespace vend::cloud::db
