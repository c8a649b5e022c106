#include "db/pg_pool.h"

#include <spdlog/spdlog.h>

#include <pqxx/pqxx>

namespace vend::cloud::db {

PgLease::PgLease(PgLease&& other) noexcept
    : pool_(other.pool_), conn_(std::move(other.conn_)), broken_(other.broken_) {
  other.pool_ = nullptr;
}

PgLease::~PgLease() {
  if (pool_ != nullptr && conn_ != nullptr) pool_->Return(std::move(conn_), broken_);
}

PgPool::PgPool(Options options) : options_(std::move(options)) {}

PgPool::~PgPool() = default;

Result<std::unique_ptr<pqxx::connection>> PgPool::Connect(const std::string& url) {
  try {
    auto conn = std::make_unique<pqxx::connection>(url);
    // A transparent reconnect would drop prepared statements and LISTENs without
    // telling anyone; a broken connection must fail loudly and be replaced instead.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    conn->inhibit_reactivation(true);
#pragma GCC diagnostic pop
    return conn;
  } catch (const std::exception& e) {
    return Status(Code::kUnavailable, "db_unavailable",
                  std::string("cannot connect to PostgreSQL: ") + e.what());
  }
}

Result<PgLease> PgPool::Acquire() {
  std::unique_ptr<pqxx::connection> conn;
  {
    std::unique_lock<std::mutex> lock(mu_);
    bool free = cv_.wait_for(lock, options_.acquire_timeout,
                             [this] { return !idle_.empty() || leased_ < options_.size; });
    if (!free) {
      return Status(Code::kUnavailable, "db_pool_exhausted",
                    "no database connection became free in time");
    }
    if (!idle_.empty()) {
      conn = std::move(idle_.back());
      idle_.pop_back();
    }
    ++leased_;
  }
  if (conn != nullptr && conn->is_open()) return PgLease(this, std::move(conn));
  auto fresh = Connect(options_.url);
  if (fresh.ok() && options_.setup) {
    try {
      options_.setup(**fresh);
    } catch (const std::exception& e) {
      fresh = Status(Code::kUnavailable, "db_unavailable",
                     std::string("preparing a database connection failed: ") + e.what());
    }
  }
  if (!fresh.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    --leased_;
    cv_.notify_one();
    return fresh.status();
  }
  return PgLease(this, std::move(fresh).value());
}

void PgPool::Return(std::unique_ptr<pqxx::connection> conn, bool broken) {
  std::lock_guard<std::mutex> lock(mu_);
  --leased_;
  if (!broken && conn->is_open()) {
    idle_.push_back(std::move(conn));
  } else {
    spdlog::warn("db connection discarded broken={}", broken);
  }
  cv_.notify_one();
}

}  // namespace vend::cloud::db
