#include "db/pg_accounts.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "db/pg_run.h"

namespace vend::cloud::db {
namespace {

using nlohmann::json;

// Serializes first-admin creation across instances ("vendadm" as ASCII).
constexpr int64_t kBootstrapLock = 0x76656e6461646d;

#define VEND_ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
// A timestamptz as integer microseconds since the epoch, exactly (no double rounding).
#define VEND_MICROS(col)                          \
  "(extract(epoch FROM date_trunc('second', " col \
  "))::bigint * 1000000 + "                       \
  "extract(microseconds FROM " col ")::bigint % 1000000)"

constexpr const char* kAccountColumns =
    "a.id, a.username, a.email, a.role, a.approved, " VEND_ISO("a.created_at");

Account ReadAccount(const pqxx::row& r, int first = 0) {
  Account a;
  a.id = r[first].as<int64_t>();
  a.username = r[first + 1].c_str();
  a.email = r[first + 2].c_str();
  a.role = r[first + 3].as<int>();
  a.approved = r[first + 4].as<bool>();
  a.created_at = r[first + 5].c_str();
  return a;
}

std::string Hex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

Status UsernameTaken(const std::string& name) {
  return Status(Code::kConflict, "username_taken", "username '" + name + "' is taken");
}
Status EmailTaken() {
  return Status(Code::kConflict, "email_taken", "that email address is already registered");
}

// Inserts inside `tx`, reporting a taken name or address as Conflict (checked first,
// and again by the unique indexes for a concurrent insert).
Result<Account> InsertAccount(pqxx::work& tx, const NewAccount& a) {
  if (!tx.exec_params("SELECT 1 FROM accounts WHERE lower(username) = lower($1)", a.username)
           .empty()) {
    return UsernameTaken(a.username);
  }
  if (!tx.exec_params("SELECT 1 FROM accounts WHERE lower(email) = lower($1)", a.email).empty()) {
    return EmailTaken();
  }
  try {
    pqxx::subtransaction sub(tx, "insert_account");
    auto r = sub.exec_params(
        std::string("INSERT INTO accounts AS a (username, email, password_hash, role, approved, "
                    "approved_at) VALUES ($1, $2, $3, $4, $5, CASE WHEN $5 THEN now() END) "
                    "RETURNING ") +
            kAccountColumns,
        a.username, a.email, a.password_hash, a.role, a.approved);
    sub.commit();
    return ReadAccount(r[0]);
  } catch (const pqxx::unique_violation& e) {
    if (std::string(e.what()).find("accounts_email") != std::string::npos) return EmailTaken();
    return UsernameTaken(a.username);
  }
}

}  // namespace

PgAccounts::PgAccounts(PgPool& pool) : pool_(pool) {}

namespace {
// The audit row of an account made by an admin (or the CLI, or the first-start bootstrap).
void AuditCreated(pqxx::work& tx, const Account& a, const core::Actor& actor) {
  const json after{
      {"username", a.username}, {"email", a.email}, {"role", a.role}, {"approved", a.approved}};
  tx.exec_params(
      "INSERT INTO audit_log (actor_id, actor_username, action, target, before, after, "
      "request_id, remote_addr) VALUES (NULLIF($1, 0), $2, 'account.create', $3, NULL, "
      "$4::jsonb, $5, $6)",
      actor.account_id, actor.username, "account:" + std::to_string(a.id) + " (" + a.username + ")",
      after.dump(), actor.request_id, actor.remote_addr);
}
}  // namespace

Result<Account> PgAccounts::Create(const NewAccount& account, const core::Actor* actor) {
  return WithConnection<Account>(pool_, "create account",
                                 [&](pqxx::connection& conn) -> Result<Account> {
                                   pqxx::work tx(conn);
                                   auto a = InsertAccount(tx, account);
                                   if (!a.ok()) return a.status();
                                   if (actor != nullptr) AuditCreated(tx, *a, *actor);
                                   tx.commit();
                                   return a;
                                 });
}

Result<std::optional<AccountLogin>> PgAccounts::FindByUsername(const std::string& username) {
  return WithConnection<std::optional<AccountLogin>>(
      pool_, "find account", [&](pqxx::connection& conn) -> Result<std::optional<AccountLogin>> {
        pqxx::work tx(conn);
        auto r = tx.exec_params(std::string("SELECT ") + kAccountColumns +
                                    ", a.password_hash FROM accounts a "
                                    "WHERE lower(a.username) = lower($1)",
                                username);
        if (r.empty()) return std::optional<AccountLogin>();
        return std::optional<AccountLogin>(AccountLogin{ReadAccount(r[0]), r[0][6].c_str()});
      });
}

Status PgAccounts::CreateSession(const std::string& token_hash, int64_t account_id,
                                 const std::string& csrf_token, std::chrono::seconds ttl,
                                 const std::string& remote_addr, const std::string& user_agent) {
  return ToStatus(
      WithConnection<bool>(pool_, "create session", [&](pqxx::connection& conn) -> Result<bool> {
        pqxx::work tx(conn);
        tx.exec_params(
            "INSERT INTO sessions (token_hash, account_id, csrf_token, expires_at, remote_addr, "
            "user_agent) VALUES (decode($1, 'hex'), $2, $3, now() + $4 * interval '1 second', "
            "$5, $6)",
            Hex(token_hash), account_id, csrf_token, static_cast<int64_t>(ttl.count()), remote_addr,
            user_agent.substr(0, 512));
        tx.commit();
        return true;
      }));
}

Result<std::optional<SessionInfo>> PgAccounts::FindSession(const std::string& token_hash) {
  return WithConnection<std::optional<SessionInfo>>(
      pool_, "find session", [&](pqxx::connection& conn) -> Result<std::optional<SessionInfo>> {
        pqxx::work tx(conn);
        const std::string hex = Hex(token_hash);
        auto r =
            tx.exec_params(std::string("SELECT ") + kAccountColumns +
                               ", s.csrf_token FROM sessions s "
                               "JOIN accounts a ON a.id = s.account_id "
                               "WHERE s.token_hash = decode($1, 'hex') AND s.expires_at > now()",
                           hex);
        if (r.empty()) {
          tx.exec_params(
              "DELETE FROM sessions WHERE token_hash = decode($1, 'hex') AND expires_at <= now()",
              hex);
          tx.commit();
          return std::optional<SessionInfo>();
        }
        return std::optional<SessionInfo>(SessionInfo{ReadAccount(r[0]), r[0][6].c_str()});
      });
}

Status PgAccounts::DeleteSession(const std::string& token_hash) {
  return ToStatus(
      WithConnection<bool>(pool_, "delete session", [&](pqxx::connection& conn) -> Result<bool> {
        pqxx::work tx(conn);
        tx.exec_params("DELETE FROM sessions WHERE token_hash = decode($1, 'hex')",
                       Hex(token_hash));
        tx.commit();
        return true;
      }));
}

Result<int64_t> PgAccounts::Prune(std::chrono::seconds attempts_older_than) {
  return WithConnection<int64_t>(
      pool_, "prune sessions", [&](pqxx::connection& conn) -> Result<int64_t> {
        pqxx::work tx(conn);
        auto s = tx.exec("DELETE FROM sessions WHERE expires_at <= now()");
        auto a =
            tx.exec_params("DELETE FROM login_attempts WHERE at < now() - $1 * interval '1 second'",
                           static_cast<int64_t>(attempts_older_than.count()));
        tx.commit();
        return static_cast<int64_t>(s.affected_rows() + a.affected_rows());
      });
}

Result<PgAccounts::LoginStart> PgAccounts::BeginLoginAttempt(const std::string& username,
                                                             const std::string& remote_addr,
                                                             const core::LoginLimits& limits) {
  // The name as typed, bounded: it is only compared, never shown.
  const std::string name = username.substr(0, 64);
  return WithConnection<LoginStart>(
      pool_, "begin login", [&](pqxx::connection& conn) -> Result<LoginStart> {
        pqxx::work tx(conn);
        // Always the name's lock first, then the address's: no lock-order cycle.
        tx.exec_params("SELECT pg_advisory_xact_lock(hashtext('vend-login-user:' || lower($1)))",
                       name);
        tx.exec_params("SELECT pg_advisory_xact_lock(hashtext('vend-login-addr:' || $1))",
                       remote_addr);
        // The age of the max-th newest failure: when it leaves the window, the count drops
        // below the limit again.
        auto r = tx.exec_params(
            "WITH u AS (SELECT at FROM login_attempts WHERE lower(username) = lower($1) "
            "AND NOT ok AND at > now() - $3 * interval '1 second'), "
            "d AS (SELECT at FROM login_attempts WHERE remote_addr = $2 "
            "AND NOT ok AND at > now() - $3 * interval '1 second') "
            "SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM d), "
            "(SELECT extract(epoch FROM now() - at)::float8 FROM u ORDER BY at DESC "
            "OFFSET greatest($4 - 1, 0) LIMIT 1), "
            "(SELECT extract(epoch FROM now() - at)::float8 FROM d ORDER BY at DESC "
            "OFFSET greatest($5 - 1, 0) LIMIT 1)",
            name, remote_addr, limits.window_s, limits.max_user_failures, limits.max_addr_failures);
        LoginStart start;
        start.failures.user_failures = r[0][0].as<int64_t>();
        start.failures.addr_failures = r[0][1].as<int64_t>();
        if (!r[0][2].is_null()) start.failures.user_expiry_age_s = r[0][2].as<double>();
        if (!r[0][3].is_null()) start.failures.addr_expiry_age_s = r[0][3].as<double>();
        start.decision = core::DecideLogin(start.failures, limits);
        if (start.decision.allowed) {
          // clock_timestamp(): the lock may have been waited for, and the window is
          // measured from when the attempt really counted.
          auto id = tx.exec_params(
              "INSERT INTO login_attempts (at, username, remote_addr, ok) "
              "VALUES (clock_timestamp(), $1, $2, false) RETURNING id",
              name, remote_addr);
          start.attempt_id = id[0][0].as<int64_t>();
        }
        tx.commit();
        return start;
      });
}

Status PgAccounts::MarkLoginSucceeded(int64_t attempt_id) {
  return ToStatus(
      WithConnection<bool>(pool_, "login succeeded", [&](pqxx::connection& conn) -> Result<bool> {
        pqxx::work tx(conn);
        tx.exec_params("UPDATE login_attempts SET ok = true WHERE id = $1", attempt_id);
        tx.commit();
        return true;
      }));
}

Result<std::vector<Account>> PgAccounts::List(std::optional<bool> approved) {
  return WithConnection<std::vector<Account>>(
      pool_, "list accounts", [&](pqxx::connection& conn) -> Result<std::vector<Account>> {
        pqxx::work tx(conn);
        auto rows = tx.exec_params(std::string("SELECT ") + kAccountColumns +
                                       " FROM accounts a WHERE ($1 = '' OR a.approved = ($1 = "
                                       "'true')) ORDER BY a.created_at DESC, a.id DESC",
                                   std::string(!approved   ? ""
                                               : *approved ? "true"
                                                           : "false"));
        std::vector<Account> out;
        out.reserve(rows.size());
        for (const auto& r : rows) out.push_back(ReadAccount(r));
        return out;
      });
}

Result<Account> PgAccounts::Update(int64_t id, std::optional<bool> approved,
                                   std::optional<int> role, const core::Actor& actor) {
  return WithConnection<
      Account>(pool_, "update account", [&](pqxx::connection& conn) -> Result<Account> {
    pqxx::work tx(conn);
    auto cur = tx.exec_params(
        std::string("SELECT ") + kAccountColumns + " FROM accounts a WHERE a.id = $1 FOR UPDATE",
        id);
    if (cur.empty()) {
      return Status(Code::kNotFound, "unknown_account",
                    "account " + std::to_string(id) + " does not exist");
    }
    const Account before = ReadAccount(cur[0]);
    const std::string target = "account:" + std::to_string(id) + " (" + before.username + ")";
    auto audit = [&](const char* action, const json& b, const json& a) {
      tx.exec_params(
          "INSERT INTO audit_log (actor_id, actor_username, action, target, before, after, "
          "request_id, remote_addr) VALUES (NULLIF($1, 0), $2, $3, $4, $5::jsonb, $6::jsonb, "
          "$7, $8)",
          actor.account_id, actor.username, std::string(action), target, b.dump(), a.dump(),
          actor.request_id, actor.remote_addr);
    };
    if (approved && *approved != before.approved) {
      tx.exec_params(
          "UPDATE accounts SET approved = $2, approved_at = CASE WHEN $2 THEN now() END, "
          "approved_by = CASE WHEN $2 THEN NULLIF($3, 0) END WHERE id = $1",
          id, *approved, actor.account_id);
      audit("account.approve", json{{"approved", before.approved}}, json{{"approved", *approved}});
    }
    if (role && *role != before.role) {
      tx.exec_params("UPDATE accounts SET role = $2 WHERE id = $1", id, *role);
      audit("account.role", json{{"role", before.role}}, json{{"role", *role}});
    }
    auto after = tx.exec_params(
        std::string("SELECT ") + kAccountColumns + " FROM accounts a WHERE a.id = $1", id);
    tx.commit();
    return ReadAccount(after[0]);
  });
}

Result<AuditPage> PgAccounts::Audit(const AuditQuery& q) {
  return WithConnection<AuditPage>(
      pool_, "list audit", [&](pqxx::connection& conn) -> Result<AuditPage> {
        pqxx::work tx(conn);
        const bool has_cursor = q.before.has_value();
        auto rows = tx.exec_params(
            "SELECT id, " VEND_ISO("at") ", actor_username, action, target, "
            "coalesce(before::text, 'null'), coalesce(after::text, 'null'), request_id, "
            VEND_MICROS("at") " FROM audit_log "
            "WHERE ($1 = '' OR lower(actor_username) = lower($1)) AND ($2 = '' OR action = $2) "
            "AND (NOT $3 OR (at, id) < (timestamptz 'epoch' + $4 * interval '1 microsecond', $5)) "
            "ORDER BY at DESC, id DESC LIMIT $6",
            q.actor, q.action, has_cursor, has_cursor ? q.before->first : int64_t{0},
            has_cursor ? q.before->second : int64_t{0}, q.limit + 1);
        AuditPage page;
        for (const auto& r : rows) {
          if (static_cast<int64_t>(page.entries.size()) == q.limit) {
            const auto& last = rows[static_cast<pqxx::result::size_type>(q.limit - 1)];
            page.next = std::make_pair(last[8].as<int64_t>(), last[0].as<int64_t>());
            break;
          }
          page.entries.push_back({r[0].as<int64_t>(), r[1].c_str(), r[2].c_str(), r[3].c_str(),
                                  r[4].c_str(), r[5].c_str(), r[6].c_str(), r[7].c_str()});
        }
        return page;
      });
}

Result<bool> PgAccounts::BootstrapAdmin(const NewAccount& account) {
  return WithConnection<bool>(
      pool_, "bootstrap admin", [&](pqxx::connection& conn) -> Result<bool> {
        pqxx::work tx(conn);
        tx.exec_params("SELECT pg_advisory_xact_lock($1)", kBootstrapLock);
        if (!tx.exec_params("SELECT 1 FROM accounts WHERE role = $1 LIMIT 1", core::kRoleAdmin)
                 .empty()) {
          return false;
        }
        NewAccount admin = account;
        admin.role = core::kRoleAdmin;
        admin.approved = true;
        auto a = InsertAccount(tx, admin);
        if (!a.ok()) return a.status();
        AuditCreated(tx, *a, core::Actor{0, "bootstrap", "", ""});
        tx.commit();
        return true;
      });
}

}  // namespace vend::cloud::db
