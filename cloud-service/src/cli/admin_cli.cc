#include "cli/admin_cli.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "auth/password.h"
#include "cli/fleet_cli.h"
#include "core/accounts.h"

namespace vend::cloud::cli {

Result<std::string> AdminPassword(const AdminCreateArgs& args,
                                  const std::optional<std::string>& env_password) {
  if (!args.password_file.empty()) {
    std::ifstream in(args.password_file, std::ios::binary);
    if (!in) return InvalidArgument("cannot read --password-file " + args.password_file);
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string pw = ss.str();
    if (!pw.empty() && pw.back() == '\n') pw.pop_back();
    if (!pw.empty() && pw.back() == '\r') pw.pop_back();
    return pw;
  }
  if (env_password && !env_password->empty()) return *env_password;
  return InvalidArgument("give --password-file FILE or set VEND_ADMIN_PASSWORD");
}

Result<db::NewAccount> PrepareAdmin(const std::string& username, const std::string& email,
                                    const std::string& password) {
  auto named = [](const char* field, const Status& s) {
    return Status(s.code(), s.reason(), std::string(field) + ": " + s.message());
  };
  if (auto s = core::ValidateUsername(username); !s.ok()) return named("username", s);
  if (auto s = core::ValidateEmail(email); !s.ok()) return named("email", s);
  if (auto s = core::ValidatePassword(password); !s.ok()) return named("password", s);
  auto hash = auth::HashPassword(password);
  if (!hash.ok()) return hash.status();
  return db::NewAccount{username, email, *hash, core::kRoleAdmin, true};
}

int AdminCreate(db::PgAccounts& accounts, const AdminCreateArgs& args,
                const std::optional<std::string>& env_password, std::ostream& out,
                std::ostream& err) {
  auto password = AdminPassword(args, env_password);
  if (!password.ok()) return Fail(password.status(), err);
  auto account = PrepareAdmin(args.username, args.email, *password);
  if (!account.ok()) return Fail(account.status(), err);
  const core::Actor cli{0, "cli", "", ""};
  auto created = accounts.Create(*account, &cli);
  if (!created.ok()) return Fail(created.status(), err);
  spdlog::info("admin created account_id={} username={}", created->id, created->username);
  out << "admin " << created->username << " created (id " << created->id
      << ", role 300, approved)\n";
  return kExitOk;
}

Status BootstrapAdminFromEnv(db::PgAccounts& accounts, const std::optional<std::string>& username,
                             const std::optional<std::string>& password,
                             const std::optional<std::string>& email) {
  if (!username || username->empty()) return Status::Ok();
  if (!password || password->empty()) {
    return InvalidArgument("VEND_ADMIN_USERNAME is set but VEND_ADMIN_PASSWORD is not");
  }
  const std::string address = email && !email->empty() ? *email : *username + "@localhost";
  auto account = PrepareAdmin(*username, address, *password);
  if (!account.ok()) {
    const auto& s = account.status();
    return Status(s.code(), s.reason(), "VEND_ADMIN_* " + s.message());
  }
  auto created = accounts.BootstrapAdmin(*account);
  if (!created.ok()) return created.status();
  if (*created) {
    spdlog::info("admin bootstrap created username={} (no admin existed)", *username);
  } else {
    spdlog::info("admin bootstrap skipped: an admin account exists");
  }
  return Status::Ok();
}

}  // namespace vend::cloud::cli
