/* Raw SQLite commit rate, for comparison with vend-edge's durable buys.
 *
 *   sqlite_commit DB row|buy FULL|NORMAL N
 *
 * Runs N write transactions one after another on one connection in WAL mode with the
 * given `synchronous` level and prints "tx_per_s=... us_per_tx=...".
 *   row: one INSERT of a short row into a table of its own (created if missing).
 *   buy: the statements SqliteKioskStore::Buy runs for one sale (read product and
 *        customer, update both, insert the order, read machine.last_seq, insert two
 *        outbox events, update machine), prepared once, against a copy of a vend-edge
 *        database; the customer with the largest balance buys product 1.
 * Build: cc -O2 -o sqlite_commit sqlite_commit.c -lsqlite3
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static sqlite3 *db;

static void die(const char *what) {
  fprintf(stderr, "sqlite_commit: %s: %s\n", what, db ? sqlite3_errmsg(db) : "no database");
  exit(1);
}

static void exec(const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "sqlite_commit: %s: %s\n", sql, err ? err : "?");
    exit(1);
  }
}

static sqlite3_stmt *prepare(const char *sql) {
  sqlite3_stmt *s = NULL;
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
    die(sql);
  return s;
}

/* Steps a statement to completion; returns column 0 of the first row (0 if none). */
static sqlite3_int64 run(sqlite3_stmt *s) {
  sqlite3_int64 first = 0;
  int rc, rows = 0;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    if (rows++ == 0) first = sqlite3_column_int64(s, 0);
  }
  if (rc != SQLITE_DONE) die("step");
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  return first;
}

static void text(sqlite3_stmt *s, int i, const char *v) {
  if (sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT) != SQLITE_OK) die("bind");
}

static void num(sqlite3_stmt *s, int i, sqlite3_int64 v) {
  if (sqlite3_bind_int64(s, i, v) != SQLITE_OK) die("bind");
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 5 || (strcmp(argv[2], "row") && strcmp(argv[2], "buy")) ||
      (strcmp(argv[3], "FULL") && strcmp(argv[3], "NORMAL")) || atol(argv[4]) <= 0) {
    fprintf(stderr, "usage: %s DB row|buy FULL|NORMAL N\n", argv[0]);
    return 2;
  }
  const int buy = strcmp(argv[2], "buy") == 0;
  const long n = atol(argv[4]);
  if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
    die("open");
  sqlite3_busy_timeout(db, 5000);
  exec("PRAGMA journal_mode=WAL");
  exec(strcmp(argv[3], "FULL") == 0 ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  exec("PRAGMA foreign_keys=ON");

  sqlite3_stmt *begin = prepare("BEGIN IMMEDIATE");
  sqlite3_stmt *commit = prepare("COMMIT");
  double t0, t1;
  if (!buy) {
    exec("CREATE TABLE IF NOT EXISTS bench_rows (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    sqlite3_stmt *ins = prepare("INSERT INTO bench_rows (v) VALUES (?)");
    char v[32];
    t0 = now_s();
    for (long i = 0; i < n; ++i) {
      snprintf(v, sizeof v, "row-%ld", i);
      run(begin);
      text(ins, 1, v);
      run(ins);
      run(commit);
    }
    t1 = now_s();
  } else {
    sqlite3_stmt *pick = prepare("SELECT user_name FROM customers ORDER BY balance DESC LIMIT 1");
    char user[256] = "";
    if (sqlite3_step(pick) == SQLITE_ROW)
      snprintf(user, sizeof user, "%s", (const char *)sqlite3_column_text(pick, 0));
    sqlite3_reset(pick);
    if (!user[0]) die("no customer in the database");
    /* A copy of the database: top the customer up so that N buys always succeed. */
    sqlite3_stmt *top_up =
        prepare("UPDATE customers SET balance = balance + 1000000000 WHERE user_name = ?");
    text(top_up, 1, user);
    run(top_up);
    sqlite3_stmt *product = prepare(
        "SELECT id, name, price, count, image, is_refundable FROM products WHERE id = ?");
    sqlite3_stmt *customer =
        prepare("SELECT id, user_name, balance FROM customers WHERE user_name = ?");
    sqlite3_stmt *set_balance = prepare("UPDATE customers SET balance = ? WHERE id = ?");
    sqlite3_stmt *set_count =
        prepare("UPDATE products SET count = ?, updated_at = ? WHERE id = ?");
    sqlite3_stmt *ins_order = prepare(
        "INSERT INTO orders (uuid, customer_id, product_id, price, status, idempotency_key, "
        "created_at) VALUES (?, ?, ?, ?, 'paid', ?, ?)");
    sqlite3_stmt *last_seq = prepare("SELECT last_seq FROM machine WHERE id = 1");
    sqlite3_stmt *ins_event =
        prepare("INSERT INTO outbox (seq, id, type, at, data) VALUES (?, ?, ?, ?, ?)");
    sqlite3_stmt *set_seq = prepare("UPDATE machine SET last_seq = ? WHERE id = 1");
    const char *now = "2030-01-01T00:00:00.000Z";
    char uuid[64], order_uuid[64], data[512];
    /* "ffffffff-..." sorts after the real (UUIDv7, time-ordered) ids, so rows are appended
     * like theirs; the second group keeps repeated runs on one copy apart. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    const unsigned run_tag = (unsigned)((unsigned long)ts.tv_nsec ^ ((unsigned long)ts.tv_sec << 20));
    long serial = 0;
    t0 = now_s();
    for (long i = 0; i < n; ++i) {
      run(begin);
      num(product, 1, 1);
      if (sqlite3_step(product) != SQLITE_ROW) die("product 1 missing");
      const sqlite3_int64 price = sqlite3_column_int64(product, 2);
      const sqlite3_int64 count = sqlite3_column_int64(product, 3);
      sqlite3_reset(product);
      text(customer, 1, user);
      if (sqlite3_step(customer) != SQLITE_ROW) die("customer missing");
      const sqlite3_int64 cid = sqlite3_column_int64(customer, 0);
      const sqlite3_int64 balance = sqlite3_column_int64(customer, 2);
      sqlite3_reset(customer);
      if (balance < price || count < 1) die("customer balance or stock ran out");
      num(set_balance, 1, balance - price);
      num(set_balance, 2, cid);
      run(set_balance);
      num(set_count, 1, count - 1);
      text(set_count, 2, now);
      num(set_count, 3, 1);
      run(set_count);
      snprintf(order_uuid, sizeof order_uuid, "ffffffff-%04x-%04x-8000-%012ld", run_tag >> 16, run_tag & 0xffffu, serial++);
      text(ins_order, 1, order_uuid);
      num(ins_order, 2, cid);
      num(ins_order, 3, 1);
      num(ins_order, 4, price);
      sqlite3_bind_null(ins_order, 5);
      text(ins_order, 6, now);
      run(ins_order);
      const sqlite3_int64 order_id = sqlite3_last_insert_rowid(db);
      sqlite3_int64 seq = run(last_seq);
      for (int e = 0; e < 2; ++e) {
        snprintf(uuid, sizeof uuid, "ffffffff-%04x-%04x-8000-%012ld", run_tag >> 16, run_tag & 0xffffu, serial++);
        if (e == 0) {
          snprintf(data, sizeof data,
                   "{\"balance_after\":%lld,\"customer_id\":%lld,\"order_id\":%lld,"
                   "\"order_uuid\":\"%s\",\"price\":%lld,\"product_id\":1,"
                   "\"user_name\":\"%s\"}",
                   (long long)(balance - price), (long long)cid, (long long)order_id,
                   order_uuid, (long long)price, user);
        } else {
          snprintf(data, sizeof data, "{\"count\":%lld,\"product_id\":1,\"reason\":\"sale\"}",
                   (long long)(count - 1));
        }
        num(ins_event, 1, ++seq);
        text(ins_event, 2, uuid);
        text(ins_event, 3, e == 0 ? "order.created" : "stock.changed");
        text(ins_event, 4, now);
        text(ins_event, 5, data);
        run(ins_event);
      }
      num(set_seq, 1, seq);
      run(set_seq);
      run(commit);
    }
    t1 = now_s();
  }
  printf("tx_per_s=%.0f us_per_tx=%.1f\n", (double)n / (t1 - t0), (t1 - t0) * 1e6 / (double)n);
  sqlite3_close_v2(db);
  return 0;
}
