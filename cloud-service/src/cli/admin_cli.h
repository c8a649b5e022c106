// The portal's first administrator: `vend-cloud admin create` and the environment
// bootstrap that `vend-cloud serve` runs at start.
//
// Passwords come from a file or from the environment (VEND_ADMIN_PASSWORD), never from
// the command line (it would show in `ps`) and never from a prompt (the command runs in
// scripts); they are never printed or logged. Exit codes as in fleet_cli.h: 0 done,
// 1 database failure, 2 invalid input or a taken name (nothing changed).
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "db/pg_accounts.h"
#include "vend/status.h"

namespace vend::cloud::cli {

struct AdminCreateArgs {
  std::string username;
  std::string email;
  std::string password_file;  // "" → the environment's password
};

// The password: the file's content without one trailing newline (CR LF or LF), else
// `env_password`. InvalidArgument when neither is there or the file cannot be read.
Result<std::string> AdminPassword(const AdminCreateArgs& args,
                                  const std::optional<std::string>& env_password);

// Checks the name, address and password (core/accounts.h) and returns the new account
// with its hash, approved with role 300. Nothing touches the database.
Result<db::NewAccount> PrepareAdmin(const std::string& username, const std::string& email,
                                    const std::string& password);

// `vend-cloud admin create`: creates the approved admin; Conflict (exit 2) when the name
// or address is taken.
int AdminCreate(db::PgAccounts& accounts, const AdminCreateArgs& args,
                const std::optional<std::string>& env_password, std::ostream& out,
                std::ostream& err);

// The serve-time bootstrap from VEND_ADMIN_USERNAME / VEND_ADMIN_PASSWORD /
// VEND_ADMIN_EMAIL (default "<username>@localhost"): creates that admin only when no
// admin account exists yet (idempotent across restarts and instances), logging what it
// did. Ok and nothing done when the username is unset; an error for invalid values, a
// missing password, or a name held by a non-admin.
Status BootstrapAdminFromEnv(db::PgAccounts& accounts, const std::optional<std::string>& username,
                             const std::optional<std::string>& password,
                             const std::optional<std::string>& email);

}  // namespace vend::cloud::cli
