// How every PostgreSQL adapter of the cloud runs its work: on a leased connection, with
// libpqxx exceptions ending here as a Status (Unavailable for a lost connection, which
// the pool then replaces; Internal with the details logged otherwise).
#pragma once

#include <spdlog/spdlog.h>

#include <pqxx/pqxx>
#include <string>

#include "db/pg_pool.h"
#include "vend/status.h"

namespace vend::cloud::db {

inline Status Unavailable(const std::string& what, const std::exception& e) {
  return Status(Code::kUnavailable, "db_unavailable", what + ": " + e.what());
}

// Runs `fn(conn)` on a leased connection. A connection that turns out broken (e.g. the
// server restarted while it sat in the pool) is replaced and `fn` runs once more:
// nothing was committed, since a failure during COMMIT itself is in_doubt_error, which
// is never retried.
template <typename T, typename Fn>
Result<T> WithConnection(PgPool& pool, const char* what, Fn&& fn) {
  for (int attempt = 1;; ++attempt) {
    auto lease = pool.Acquire();
    if (!lease.ok()) return lease.status();
    try {
      return fn(lease->conn());
    } catch (const pqxx::broken_connection& e) {
      lease->MarkBroken();
      if (attempt < 2) {
        spdlog::warn("db {}: connection broken, retrying on a new one: {}", what, e.what());
        continue;
      }
      return Unavailable(what, e);
    } catch (const pqxx::in_doubt_error& e) {
      lease->MarkBroken();
      return Unavailable(what, e);
    } catch (const std::exception& e) {
      // A statement error leaves the connection usable (the transaction's destructor
      // rolled back); one that also lost the connection shows as closed.
      if (!lease->conn().is_open()) lease->MarkBroken();
      spdlog::error("db {} failed: {}", what, e.what());
      return Internal(std::string(what) + " failed: " + e.what());
    }
  }
}

// `fn(tx)` in a read-only transaction, run as WithConnection runs its work.
template <typename T, typename Fn>
Result<T> ReadOnly(PgPool& pool, const char* what, Fn&& fn) {
  return WithConnection<T>(pool, what, [&](pqxx::connection& conn) -> Result<T> {
    pqxx::read_transaction tx(conn);
    return fn(tx);
  });
}

inline Status ToStatus(const Result<bool>& r) { return r.ok() ? Status::Ok() : r.status(); }

}  // namespace vend::cloud::db
