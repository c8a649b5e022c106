// PgAccounts: the admin portal's accounts, sessions, login attempts and audit log in
// PostgreSQL (schemas/sql/cloud/002_admin.sql).
//
// Every operation leases one pooled connection and runs one transaction; libpqxx
// exceptions end here and become a Status (Unavailable for a lost connection, Internal
// for anything else, logged). Session tokens never reach this class: callers pass the
// SHA-256 digest (auth::Sha256), stored as bytea.
//
// Thread safety: all methods may be called concurrently from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/accounts.h"
#include "core/actor.h"
#include "db/pg_pool.h"

namespace vend::cloud::db {

struct Account {
  int64_t id = 0;
  std::string username;
  std::string email;
  int role = core::kRoleUser;
  bool approved = false;
  std::string created_at;  // ISO 8601 UTC with milliseconds
};

struct NewAccount {
  std::string username;
  std::string email;
  std::string password_hash;
  int role = core::kRoleUser;
  bool approved = false;
};

struct AccountLogin {
  Account account;
  std::string password_hash;
};

struct SessionInfo {
  Account account;
  std::string csrf_token;
};

struct AuditEntry {
  int64_t id = 0;
  std::string at;
  std::string actor;
  std::string action;
  std::string target;
  std::string before_json;  // "null" when absent
  std::string after_json;   // "null" when absent
  std::string request_id;
};

struct AuditQuery {
  std::string actor;   // user name (case-insensitive), "" for all
  std::string action;  // exact action, "" for all
  int64_t limit = 50;  // 1..200
  // Keyset cursor: entries strictly older than (at in microseconds since the epoch, id).
  std::optional<std::pair<int64_t, int64_t>> before;
};

struct AuditPage {
  std::vector<AuditEntry> entries;
  std::optional<std::pair<int64_t, int64_t>> next;  // cursor of the next page, if any
};

class PgAccounts {
 public:
  // `pool` must outlive this object.
  explicit PgAccounts(PgPool& pool);

  // Inserts the account. Conflict `username_taken` / `email_taken` (case-insensitive).
  // With an `actor` (an admin creating it, e.g. `vend-cloud admin create` as "cli"), an
  // "account.create" audit row is written in the same transaction.
  Result<Account> Create(const NewAccount& account, const core::Actor* actor = nullptr);
  // The account (case-insensitive name) with its password hash; nullopt when unknown.
  Result<std::optional<AccountLogin>> FindByUsername(const std::string& username);

  // Creates the session whose token has digest `token_hash`, valid for `ttl`.
  Status CreateSession(const std::string& token_hash, int64_t account_id,
                       const std::string& csrf_token, std::chrono::seconds ttl,
                       const std::string& remote_addr, const std::string& user_agent);
  // The unexpired session and its account; nullopt when unknown or expired (an expired
  // row is deleted on the way).
  Result<std::optional<SessionInfo>> FindSession(const std::string& token_hash);
  Status DeleteSession(const std::string& token_hash);
  // Deletes expired sessions and login attempts older than `attempts_older_than`;
  // returns the number of rows removed.
  Result<int64_t> Prune(std::chrono::seconds attempts_older_than);

  // The start of a login, in one transaction serialized per user name and per address
  // (transaction advisory locks): counts the failures within the window by
  // lower(username) and by address, with the ages the rate-limit decision needs, and,
  // when `decide` allows the attempt, records it as a failure before the password is
  // checked. So concurrent guesses each see the ones before them: N parallel wrong
  // passwords get exactly max 401s and the rest 429. `attempt_id` is 0 when refused.
  struct LoginStart {
    core::LoginFailures failures;
    core::RateDecision decision;
    int64_t attempt_id = 0;
  };
  Result<LoginStart> BeginLoginAttempt(const std::string& username, const std::string& remote_addr,
                                       const core::LoginLimits& limits);
  // The attempt's password was right: it no longer counts as a failure.
  Status MarkLoginSucceeded(int64_t attempt_id);

  // Newest first; `approved` filters when set.
  Result<std::vector<Account>> List(std::optional<bool> approved);
  // Changes approval and/or role, writing one audit row per changed attribute
  // (`account.approve`, `account.role`, before/after JSON) in the same transaction.
  // NotFound `unknown_account` when there is no such account.
  Result<Account> Update(int64_t id, std::optional<bool> approved, std::optional<int> role,
                         const core::Actor& actor);

  Result<AuditPage> Audit(const AuditQuery& query);

  // Creates `account` as an approved admin unless an admin exists already, under an
  // advisory lock so that instances starting together create one. True when created;
  // Conflict `username_taken`/`email_taken` when a non-admin holds the name.
  Result<bool> BootstrapAdmin(const NewAccount& account);

 private:
  PgPool& pool_;
};

}  // namespace vend::cloud::db
