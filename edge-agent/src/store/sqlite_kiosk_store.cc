#include "store/sqlite_kiosk_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/command_rules.h"
#include "core/rules.h"
#include "vend/ids.h"

namespace vend::edge::store {
namespace {

using core::Customer;
using core::Order;
using core::OrderStatus;
using core::Product;

Order ReadOrder(const Query& q) {
  Order o;
  o.id = q.Int(0);
  o.uuid = q.Text(1);
  o.customer_id = q.Int(2);
  o.product_id = q.Int(3);
  o.price = Money::FromCents(q.Int(4));
  o.status = q.Text(5) == "refunded" ? OrderStatus::kRefunded : OrderStatus::kPaid;
  o.created_at = q.Text(6);
  if (!q.IsNull(7)) o.refunded_at = q.Text(7);
  return o;
}

Status UserNotFound() { return Status(Code::kNotFound, "not_found", "user not found"); }
Status ProductNotFound(int64_t id) {
  return Status(Code::kNotFound, "not_found", "product " + std::to_string(id) + " not found");
}

std::optional<Customer> FindCustomerByName(SqliteConn& db, const std::string& user_name) {
  auto q = db.Prepare("SELECT id, user_name, balance FROM customers WHERE user_name = ?");
  q.Bind(1, user_name);
  if (!q.Step()) return std::nullopt;
  return Customer{q.Int(0), q.Text(1), Money::FromCents(q.Int(2))};
}

std::optional<Customer> FindCustomerById(SqliteConn& db, int64_t id) {
  auto q = db.Prepare("SELECT id, user_name, balance FROM customers WHERE id = ?");
  q.Bind(1, id);
  if (!q.Step()) return std::nullopt;
  return Customer{q.Int(0), q.Text(1), Money::FromCents(q.Int(2))};
}

// The customer `id` if `user_name` owns it: 401/400 for a bad name, 404, 403.
Result<Customer> OwnedCustomer(SqliteConn& db, int64_t id, const std::string& user_name) {
  if (auto s = core::ValidateUserName(user_name); !s.ok()) return s;
  auto c = FindCustomerById(db, id);
  if (!c) return UserNotFound();
  if (auto s = core::CheckOwner(*c, user_name); !s.ok()) return s;
  return *c;
}

std::optional<Product> FindProduct(SqliteConn& db, int64_t id) {
  auto q =
      db.Prepare("SELECT id, name, price, count, image, is_refundable FROM products WHERE id = ?");
  q.Bind(1, id);
  if (!q.Step()) return std::nullopt;
  return Product{q.Int(0), q.Text(1), Money::FromCents(q.Int(2)),
                 q.Int(3), q.Text(4), q.Int(5) != 0};
}

void SetBalance(SqliteConn& db, int64_t customer_id, Money balance) {
  db.Prepare("UPDATE customers SET balance = ? WHERE id = ?")
      .Bind(1, balance.cents())
      .Bind(2, customer_id)
      .Run();
}

// Writes the whole catalog row of `p`, creating or replacing it.
void UpsertProduct(SqliteConn& db, const Product& p, const std::string& now) {
  db.Prepare(
        "INSERT INTO products (id, name, price, count, image, is_refundable, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
        "price = excluded.price, count = excluded.count, image = excluded.image, "
        "is_refundable = excluded.is_refundable, updated_at = excluded.updated_at")
      .Bind(1, p.id)
      .Bind(2, p.name)
      .Bind(3, p.price.cents())
      .Bind(4, p.count)
      .Bind(5, p.image)
      .Bind(6, int64_t{p.is_refundable ? 1 : 0})
      .Bind(7, now)
      .Run();
}

void SetCount(SqliteConn& db, int64_t product_id, int64_t count, const std::string& now) {
  db.Prepare("UPDATE products SET count = ?, updated_at = ? WHERE id = ?")
      .Bind(1, count)
      .Bind(2, now)
      .Bind(3, product_id)
      .Run();
}

bool IsRemoved(SqliteConn& db, int64_t id) {
  auto q = db.Prepare("SELECT 1 FROM removed_products WHERE id = ?");
  q.Bind(1, id);
  return q.Step();
}

}  // namespace

SqliteKioskStore::SqliteKioskStore(std::string path, std::string machine_id)
    : path_(std::move(path)), machine_id_(std::move(machine_id)) {}

SqliteKioskStore::~SqliteKioskStore() = default;

Result<std::unique_ptr<SqliteKioskStore>> SqliteKioskStore::Open(const std::string& path,
                                                                 const std::string& machine_id,
                                                                 int readers) {
  if (!IsMachineId(machine_id)) {
    return InvalidArgument("machine id must match [A-Za-z0-9_-]{1,64}");
  }
  std::unique_ptr<SqliteKioskStore> store(new SqliteKioskStore(path, machine_id));
  try {
    store->writer_ = std::make_unique<SqliteConn>(path, /*create=*/true);
    if (auto s = Migrate(*store->writer_, sql::Migrations()); !s.ok()) return s;
    auto& db = *store->writer_;
    db.Exec("BEGIN IMMEDIATE");
    std::string owner;
    {
      auto q = db.Prepare("SELECT machine_id FROM machine WHERE id = 1");
      if (q.Step()) owner = q.Text(0);
    }
    if (owner.empty()) {
      db.Prepare("INSERT INTO machine (id, machine_id, created_at) VALUES (1, ?, ?)")
          .Bind(1, machine_id)
          .Bind(2, NowIso8601())
          .Run();
    }
    db.Exec("COMMIT");
    if (!owner.empty() && owner != machine_id) {
      return Status(
          Code::kConflict, "wrong_machine",
          "database " + path + " belongs to machine '" + owner + "', not '" + machine_id + "'");
    }
    for (int i = 0; i < readers; ++i) {
      store->readers_.push_back(std::make_unique<SqliteConn>(path, /*create=*/false));
    }
    std::lock_guard<std::mutex> lock(store->write_mu_);
    store->RefreshProducts(db);
  } catch (const SqliteError& e) {
    return Internal(std::string("opening the database failed: ") + e.what());
  }
  return store;
}

Status SqliteKioskStore::WriteTx(const std::function<Status(SqliteConn&)>& body,
                                 const bool* products_changed) {
  PendingWrite me{&body, products_changed, Status::Ok()};
  std::unique_lock<std::mutex> q(queue_mu_);
  queue_.push_back(&me);
  while (!me.done) {
    if (leader_active_) {
      queue_cv_.wait(q, [&] { return me.done || !leader_active_; });
      continue;
    }
    // Lead: take what has queued up (this thread's own operation among it, unless more
    // than kMaxGroup were ahead of it) and commit it as one group.
    leader_active_ = true;
    const size_t n = std::min(queue_.size(), kMaxGroup);
    std::vector<PendingWrite*> group(queue_.begin(), queue_.begin() + n);
    queue_.erase(queue_.begin(), queue_.begin() + n);
    q.unlock();
    CommitGroup(group);
    q.lock();
    for (PendingWrite* w : group) w->done = true;
    leader_active_ = false;
    queue_cv_.notify_all();
  }
  q.unlock();
  // Outside every lock, so the listener (waking the drainer) never delays a sale.
  if (me.result.ok() && me.appended) {
    std::function<void()> listener;
    {
      std::lock_guard<std::mutex> l(listener_mu_);
      listener = events_appended_;
    }
    if (listener) listener();
  }
  return me.result;
}

void SqliteKioskStore::CommitGroup(const std::vector<PendingWrite*>& group) {
  std::lock_guard<std::mutex> lock(write_mu_);
  SqliteConn& db = *writer_;
  auto fail_all = [&](const Status& s) {
    for (PendingWrite* w : group) w->result = s;
  };
  try {
    db.Exec("BEGIN IMMEDIATE");
  } catch (const SqliteError& e) {
    fail_all(Status(Code::kUnavailable, "busy", std::string("database busy: ") + e.what()));
    return;
  }
  bool refresh = false;
  try {
    for (PendingWrite* w : group) {
      db.Exec("SAVEPOINT op");
      appended_in_tx_ = false;
      Status s;
      try {
        s = (*w->body)(db);
      } catch (const SqliteError& e) {
        s = Internal(std::string("database error: ") + e.what());
      }
      if (sqlite3_get_autocommit(db.raw())) {
        // SQLite rolled the whole transaction back on its own (I/O error, full disk):
        // the operations before this one are gone too.
        fail_all(Internal("database error: transaction aborted: " + s.ToString()));
        return;
      }
      if (s.ok()) {
        db.Exec("RELEASE op");
        w->appended = appended_in_tx_;
        refresh = refresh || (w->products_changed && *w->products_changed);
      } else {
        db.Exec("ROLLBACK TO op; RELEASE op");
      }
      w->result = s;
    }
    db.Exec("COMMIT");
    if (refresh) RefreshProducts(db);
  } catch (const SqliteError& e) {
    // Nothing of the group is durable: a failed COMMIT leaves the transaction open (roll
    // it back); if SQLite already rolled back, ROLLBACK fails harmlessly.
    if (!sqlite3_get_autocommit(db.raw())) {
      sqlite3_exec(db.raw(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
    fail_all(Internal(std::string("database error: ") + e.what()));
  }
}

template <typename T>
Result<T> SqliteKioskStore::Read(const std::function<Result<T>(SqliteConn&)>& body) {
  std::unique_ptr<SqliteConn> conn;
  {
    std::unique_lock<std::mutex> lock(readers_mu_);
    readers_cv_.wait(lock, [&] { return !readers_.empty(); });
    conn = std::move(readers_.back());
    readers_.pop_back();
  }
  Result<T> result = Internal("unset");
  try {
    result = body(*conn);
  } catch (const SqliteError& e) {
    result = Internal(std::string("database error: ") + e.what());
  }
  {
    std::lock_guard<std::mutex> lock(readers_mu_);
    readers_.push_back(std::move(conn));
  }
  readers_cv_.notify_one();
  return result;
}

int64_t SqliteKioskStore::AppendEvents(SqliteConn& db, std::vector<schemas::EventData> events) {
  int64_t seq = 0;
  {
    auto q = db.Prepare("SELECT last_seq FROM machine WHERE id = 1");
    if (!q.Step()) throw SqliteError(SQLITE_CORRUPT, "machine row missing");
    seq = q.Int(0);
  }
  const std::string at = NowIso8601();
  for (auto& data : events) {
    ++seq;
    db.Prepare("INSERT INTO outbox (seq, id, type, at, data) VALUES (?, ?, ?, ?, ?)")
        .Bind(1, seq)
        .Bind(2, NewUuid())
        .Bind(3, schemas::EventType(data))
        .Bind(4, at)
        .Bind(5, schemas::EncodeEventData(data).dump())
        .Run();
  }
  db.Prepare("UPDATE machine SET last_seq = ? WHERE id = 1").Bind(1, seq).Run();
  appended_in_tx_ = appended_in_tx_ || !events.empty();
  return seq;
}

std::vector<Product> SqliteKioskStore::LoadProducts(SqliteConn& db) {
  std::vector<Product> out;
  auto q =
      db.Prepare("SELECT id, name, price, count, image, is_refundable FROM products ORDER BY id");
  while (q.Step()) {
    out.push_back(Product{q.Int(0), q.Text(1), Money::FromCents(q.Int(2)), q.Int(3), q.Text(4),
                          q.Int(5) != 0});
  }
  return out;
}

void SqliteKioskStore::RefreshProducts(SqliteConn& db) {
  auto fresh = std::make_shared<const std::vector<Product>>(LoadProducts(db));
  std::lock_guard<std::mutex> lock(products_mu_);
  products_ = std::move(fresh);
}

std::shared_ptr<const std::vector<Product>> SqliteKioskStore::Products() {
  std::lock_guard<std::mutex> lock(products_mu_);
  return products_;
}

Result<Product> SqliteKioskStore::GetProduct(int64_t id) {
  auto snapshot = Products();
  for (const auto& p : *snapshot) {
    if (p.id == id) return p;
  }
  return ProductNotFound(id);
}

Result<core::KioskStore::CreatedCustomer> SqliteKioskStore::CreateCustomer(
    const std::string& user_name) {
  if (auto s = core::ValidateUserName(user_name); !s.ok()) return s;
  CreatedCustomer out;
  Status s = WriteTx([&](SqliteConn& db) {
    if (auto existing = FindCustomerByName(db, user_name)) {
      out.customer = *existing;
      return Status::Ok();
    }
    db.Prepare("INSERT INTO customers (user_name, balance, created_at) VALUES (?, 0, ?)")
        .Bind(1, user_name)
        .Bind(2, NowIso8601())
        .Run();
    out.customer = Customer{db.LastInsertId(), user_name, Money()};
    out.created = true;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<Customer> SqliteKioskStore::GetCustomer(int64_t id, const std::string& user_name) {
  return Read<Customer>([&](SqliteConn& db) { return OwnedCustomer(db, id, user_name); });
}

Result<Customer> SqliteKioskStore::Deposit(int64_t customer_id, const std::string& user_name,
                                           Money amount, Money max_deposit) {
  Customer out;
  Status s = WriteTx([&](SqliteConn& db) {
    auto c = OwnedCustomer(db, customer_id, user_name);
    if (!c.ok()) return c.status();
    auto balance = core::PlanDeposit(*c, amount, max_deposit);
    if (!balance.ok()) return balance.status();
    const std::string now = NowIso8601();
    const std::string uuid = NewUuid();
    SetBalance(db, c->id, *balance);
    db.Prepare("INSERT INTO deposits (uuid, customer_id, amount, created_at) VALUES (?, ?, ?, ?)")
        .Bind(1, uuid)
        .Bind(2, c->id)
        .Bind(3, amount.cents())
        .Bind(4, now)
        .Run();
    schemas::BalanceDeposited ev{db.LastInsertId(), uuid,           c->id,
                                 c->user_name,      amount.cents(), balance->cents()};
    AppendEvents(db, {ev});
    out = Customer{c->id, c->user_name, *balance};
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<core::OrderResult> SqliteKioskStore::Buy(const core::BuyRequest& req) {
  if (auto s = core::ValidateUserName(req.user_name); !s.ok()) return s;
  if (req.idempotency_key) {
    if (auto s = core::ValidateIdempotencyKey(*req.idempotency_key); !s.ok()) return s;
  }
  core::OrderResult out;
  bool sold = false;
  Status s = WriteTx(
      [&](SqliteConn& db) {
        auto product = FindProduct(db, req.product_id);
        if (!product) return ProductNotFound(req.product_id);
        auto customer = FindCustomerByName(db, req.user_name);
        if (!customer) return UserNotFound();
        if (req.idempotency_key) {
          auto q = db.Prepare(
              "SELECT id, uuid, customer_id, product_id, price, status, created_at, refunded_at "
              "FROM orders WHERE idempotency_key = ?");
          q.Bind(1, *req.idempotency_key);
          if (q.Step()) {
            Order prior = ReadOrder(q);
            if (prior.customer_id != customer->id || prior.product_id != req.product_id) {
              return Status(Code::kConflict, "idempotency_conflict",
                            "idempotency_key was already used for a different purchase");
            }
            out = core::OrderResult{prior, customer->balance, /*replayed=*/true};
            return Status::Ok();
          }
        }
        auto plan = core::PlanSale(*customer, *product);
        if (!plan.ok()) return plan.status();
        const std::string now = NowIso8601();
        Order order;
        order.uuid = NewUuid();
        order.customer_id = customer->id;
        order.product_id = product->id;
        order.price = product->price;
        order.status = OrderStatus::kPaid;
        order.created_at = now;
        SetBalance(db, customer->id, plan->balance_after);
        SetCount(db, product->id, plan->count_after, now);
        db.Prepare(
              "INSERT INTO orders (uuid, customer_id, product_id, price, status, idempotency_key, "
              "created_at) VALUES (?, ?, ?, ?, 'paid', ?, ?)")
            .Bind(1, order.uuid)
            .Bind(2, order.customer_id)
            .Bind(3, order.product_id)
            .Bind(4, order.price.cents())
            .BindOptional(5, req.idempotency_key)
            .Bind(6, now)
            .Run();
        order.id = db.LastInsertId();
        AppendEvents(db, {schemas::OrderCreated{order.id, order.uuid, customer->id,
                                                customer->user_name, product->id,
                                                order.price.cents(), plan->balance_after.cents()},
                          schemas::StockChanged{product->id, plan->count_after, "sale"}});
        out = core::OrderResult{order, plan->balance_after, false};
        sold = true;
        return Status::Ok();
      },
      &sold);
  if (!s.ok()) return s;
  return out;
}

Result<core::OrderResult> SqliteKioskStore::Refund(const core::RefundRequest& req) {
  if (auto s = core::ValidateUserName(req.user_name); !s.ok()) return s;
  core::OrderResult out;
  const bool kRefreshProducts = true;
  Status s = WriteTx(
      [&](SqliteConn& db) {
        auto product = FindProduct(db, req.product_id);
        if (!product) return ProductNotFound(req.product_id);
        auto customer = FindCustomerByName(db, req.user_name);
        if (!customer) return UserNotFound();
        std::optional<Order> order;
        if (req.order_id) {
          auto q = db.Prepare(
              "SELECT id, uuid, customer_id, product_id, price, status, created_at, refunded_at "
              "FROM orders WHERE id = ?");
          q.Bind(1, *req.order_id);
          if (!q.Step()) return Status(Code::kNotFound, "not_found", "order not found");
          order = ReadOrder(q);
          if (order->customer_id != customer->id) {
            return Status(Code::kPermissionDenied, "forbidden", "user_name does not own the order");
          }
        } else {
          auto q = db.Prepare(
              "SELECT id, uuid, customer_id, product_id, price, status, created_at, refunded_at "
              "FROM orders WHERE customer_id = ? AND product_id = ? "
              "ORDER BY status = 'paid' DESC, id DESC LIMIT 1");
          q.Bind(1, customer->id).Bind(2, product->id);
          if (!q.Step()) {
            return Status(Code::kNotFound, "not_found", "no order of this product to refund");
          }
          order = ReadOrder(q);
        }
        auto plan = core::PlanRefund(*customer, *product, *order);
        if (!plan.ok()) return plan.status();
        const std::string now = NowIso8601();
        SetBalance(db, customer->id, plan->balance_after);
        SetCount(db, product->id, plan->count_after, now);
        db.Prepare("UPDATE orders SET status = 'refunded', refunded_at = ? WHERE id = ?")
            .Bind(1, now)
            .Bind(2, order->id)
            .Run();
        order->status = OrderStatus::kRefunded;
        order->refunded_at = now;
        AppendEvents(db, {schemas::OrderRefunded{order->id, order->uuid, customer->id,
                                                 customer->user_name, product->id,
                                                 order->price.cents(), plan->balance_after.cents()},
                          schemas::StockChanged{product->id, plan->count_after, "refund"}});
        out = core::OrderResult{*order, plan->balance_after, false};
        return Status::Ok();
      },
      &kRefreshProducts);
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<Order>> SqliteKioskStore::Orders(int64_t customer_id,
                                                    const std::string& user_name) {
  return Read<std::vector<Order>>([&](SqliteConn& db) -> Result<std::vector<Order>> {
    auto c = OwnedCustomer(db, customer_id, user_name);
    if (!c.ok()) return c.status();
    std::vector<Order> out;
    auto q = db.Prepare(
        "SELECT id, uuid, customer_id, product_id, price, status, created_at, refunded_at "
        "FROM orders WHERE customer_id = ? ORDER BY id DESC");
    q.Bind(1, customer_id);
    while (q.Step()) out.push_back(ReadOrder(q));
    return out;
  });
}

Status SqliteKioskStore::SeedCatalog(const std::vector<Product>& products) {
  for (const auto& p : products) {
    if (auto s = core::ValidateProduct(p); !s.ok()) return s;
  }
  bool changed = false;
  return WriteTx(
      [&](SqliteConn& db) {
        const std::string now = NowIso8601();
        std::vector<schemas::EventData> events;
        for (const auto& p : products) {
          // A product the cloud removed stays removed (see removed_products).
          if (FindProduct(db, p.id) || IsRemoved(db, p.id)) continue;
          UpsertProduct(db, p, now);
          events.push_back(schemas::StockChanged{p.id, p.count, "seed"});
        }
        changed = !events.empty();
        if (changed) AppendEvents(db, std::move(events));
        return Status::Ok();
      },
      &changed);
}

Result<core::OutboxStats> SqliteKioskStore::Outbox() {
  return Read<core::OutboxStats>([](SqliteConn& db) -> Result<core::OutboxStats> {
    auto q = db.Prepare(
        "SELECT (SELECT count(*) FROM outbox), last_seq, acked_seq FROM machine WHERE id = 1");
    if (!q.Step()) return Internal("machine row missing");
    return core::OutboxStats{q.Int(0), q.Int(1), q.Int(2)};
  });
}

Result<std::vector<schemas::Event>> SqliteKioskStore::PendingEvents(int64_t after_seq, int limit) {
  return Read<std::vector<schemas::Event>>(
      [&](SqliteConn& db) -> Result<std::vector<schemas::Event>> {
        std::vector<schemas::Event> out;
        auto q = db.Prepare(
            "SELECT seq, id, type, at, data FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?");
        q.Bind(1, after_seq).Bind(2, int64_t{limit});
        while (q.Step()) {
          auto data = schemas::DecodeEventData(q.Text(2), nlohmann::json::parse(q.Text(4)));
          if (!data.ok())
            return Internal("outbox row " + std::to_string(q.Int(0)) +
                            " is unreadable: " + data.status().message());
          out.push_back(schemas::Event{q.Int(0), q.Text(1), q.Text(3), std::move(data).value()});
        }
        return out;
      });
}

Result<int64_t> SqliteKioskStore::LastSeq() {
  return Read<int64_t>([](SqliteConn& db) -> Result<int64_t> {
    auto q = db.Prepare("SELECT last_seq FROM machine WHERE id = 1");
    if (!q.Step()) return Internal("machine row missing");
    return q.Int(0);
  });
}

Status SqliteKioskStore::Acknowledge(int64_t upto) {
  return WriteTx([&](SqliteConn& db) {
    db.Prepare("DELETE FROM outbox WHERE seq <= ?").Bind(1, upto).Run();
    db.Prepare("UPDATE machine SET acked_seq = max(acked_seq, min(?, last_seq)) WHERE id = 1")
        .Bind(1, upto)
        .Run();
    return Status::Ok();
  });
}

void SqliteKioskStore::SetEventsAppendedListener(std::function<void()> listener) {
  std::lock_guard<std::mutex> lock(listener_mu_);
  events_appended_ = std::move(listener);
}

core::CommandOutcome SqliteKioskStore::WriteCommandPlan(
    SqliteConn& db, const std::string& command_id, std::string_view type,
    const std::function<core::CommandPlan()>& make_plan, bool& products_changed) {
  {
    auto q = db.Prepare("SELECT outcome, reason FROM applied_commands WHERE id = ?");
    q.Bind(1, command_id);
    if (q.Step()) {
      core::CommandOutcome seen;
      seen.applied = q.Text(0) == "applied";
      seen.reason = q.Text(1);
      seen.duplicate = true;
      return seen;
    }
  }
  const core::CommandPlan plan = make_plan();
  const std::string now = NowIso8601();
  if (plan.remove_product) {
    db.Prepare("DELETE FROM products WHERE id = ?").Bind(1, *plan.remove_product).Run();
    db.Prepare("INSERT OR REPLACE INTO removed_products (id, removed_at) VALUES (?, ?)")
        .Bind(1, *plan.remove_product)
        .Bind(2, now)
        .Run();
    products_changed = true;
  }
  if (plan.write_product) {
    const core::Product& p = *plan.write_product;
    UpsertProduct(db, p, now);
    db.Prepare("DELETE FROM removed_products WHERE id = ?").Bind(1, p.id).Run();
    products_changed = true;
  }
  if (plan.config) {
    db.Prepare(
          "INSERT INTO config (key, value, updated_at) VALUES (?, ?, ?) "
          "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = "
          "excluded.updated_at")
        .Bind(1, plan.config->key)
        .Bind(2, plan.config->value)
        .Bind(3, now)
        .Run();
  }
  const int64_t seq = AppendEvents(db, plan.events);
  db.Prepare(
        "INSERT INTO applied_commands (id, type, outcome, reason, seq, applied_at) "
        "VALUES (?, ?, ?, ?, ?, ?)")
      .Bind(1, command_id)
      .Bind(2, type)
      .Bind(3, plan.rejected ? "rejected" : "applied")
      .BindOptional(4, plan.rejected ? std::optional<std::string>(plan.reason) : std::nullopt)
      .Bind(5, seq)
      .Bind(6, now)
      .Run();
  core::CommandOutcome outcome;
  outcome.applied = !plan.rejected;
  outcome.reason = plan.reason;
  if (!plan.rejected) outcome.config = plan.config;
  return outcome;
}

Result<core::CommandOutcome> SqliteKioskStore::ApplyCommand(const schemas::Command& command) {
  if (!IsUuid(command.id)) return InvalidArgument("command id must be a UUID");
  core::CommandOutcome out;
  bool products_changed = false;
  Status s = WriteTx(
      [&](SqliteConn& db) {
        out = WriteCommandPlan(
            db, command.id, schemas::CommandType(command.data),
            [&] {
              std::optional<Product> product;
              if (auto id = core::CommandProductId(command.data)) product = FindProduct(db, *id);
              return core::PlanCommand(command, product);
            },
            products_changed);
        return Status::Ok();
      },
      &products_changed);
  if (!s.ok()) return s;
  return out;
}

Result<core::CommandOutcome> SqliteKioskStore::RejectCommand(const std::string& command_id,
                                                             std::string_view type,
                                                             std::string_view reason) {
  if (!IsUuid(command_id)) return InvalidArgument("command id must be a UUID");
  const std::string safe_type = core::SanitizeText(type, core::kMaxCommandTypeBytes, "unknown");
  core::CommandOutcome out;
  bool products_changed = false;
  Status s = WriteTx([&](SqliteConn& db) {
    out = WriteCommandPlan(
        db, command_id, safe_type,
        [&] { return core::PlanUndecodableCommand(command_id, safe_type, reason); },
        products_changed);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::map<std::string, int64_t>> SqliteKioskStore::Config() {
  return Read<std::map<std::string, int64_t>>(
      [](SqliteConn& db) -> Result<std::map<std::string, int64_t>> {
        std::map<std::string, int64_t> out;
        auto q = db.Prepare("SELECT key, value FROM config ORDER BY key");
        while (q.Step()) out[q.Text(0)] = q.Int(1);
        return out;
      });
}

}  // namespace vend::edge::store
