// PgPool: a small pool of libpqxx connections.
//
// A libpqxx connection and everything on it belongs to one thread at a time: a Lease
// hands one connection to its holder exclusively until the Lease is destroyed. libpqxx
// 6 would silently reconnect a broken connection and lose session state (prepared
// statements, LISTEN); the pool inhibits that and instead replaces a connection that is
// closed or that its last holder marked broken when it is next checked out, running the
// setup hook (e.g. prepare statements) on every new connection.
//
// Thread safety: Acquire may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <pqxx/connection>
#include <string>
#include <vector>

#include "vend/status.h"

namespace vend::cloud::db {

class PgPool;

// Exclusive use of one pooled connection. Movable, not copyable.
class PgLease {
 public:
  PgLease(PgLease&& other) noexcept;
  PgLease& operator=(PgLease&&) = delete;
  PgLease(const PgLease&) = delete;
  ~PgLease();

  pqxx::connection& conn() { return *conn_; }
  // The connection failed (broken_connection): the pool discards it on return.
  void MarkBroken() { broken_ = true; }

 private:
  friend class PgPool;
  PgLease(PgPool* pool, std::unique_ptr<pqxx::connection> conn)
      : pool_(pool), conn_(std::move(conn)) {}
  PgPool* pool_;
  std::unique_ptr<pqxx::connection> conn_;
  bool broken_ = false;
};

class PgPool {
 public:
  struct Options {
    std::string url;
    size_t size = 4;
    std::chrono::milliseconds acquire_timeout{10000};
    // Runs on every new connection before it is leased, e.g. to prepare statements.
    std::function<void(pqxx::connection&)> setup;
  };

  explicit PgPool(Options options);
  ~PgPool();

  // Blocks until a connection is free (at most acquire_timeout). Unavailable when the
  // pool is exhausted for that long or the database cannot be reached.
  Result<PgLease> Acquire();

  // Opens a connection outside the pool (for LISTEN or the migration lock) with
  // reactivation inhibited. Unavailable when the database cannot be reached.
  static Result<std::unique_ptr<pqxx::connection>> Connect(const std::string& url);

 private:
  friend class PgLease;
  void Return(std::unique_ptr<pqxx::connection> conn, bool broken);

  Options options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;  // guarded by mu_
  size_t leased_ = 0;                                    // guarded by mu_
};

}  // namespace vend::cloud::db
