// Applies the embedded Postgres migrations (schemas/sql/cloud).
//
// Safe when several vend-cloud processes start together: the whole check-and-apply
// runs under a session advisory lock, so one process applies what is new (each
// migration in its own transaction, recorded in schema_migrations) while the others
// wait and then find nothing left to do. A database whose schema is newer than this
// binary knows is refused rather than used.
#pragma once

#include <string>
#include <vector>

#include "vend/migrations.h"
#include "vend/status.h"

namespace vend::cloud::sql {
const std::vector<schemas::Migration>& Migrations();
}

namespace vend::cloud::db {

struct MigrationReport {
  int from_version = 0;
  int to_version = 0;
  std::vector<int> applied;
};

// Uses a connection of its own. Conflict "database_too_new" for a newer schema.
Result<MigrationReport> Migrate(const std::string& url,
                                const std::vector<schemas::Migration>& migrations);

// The schema version of the database (0 when never migrated).
Result<int> SchemaVersion(const std::string& url);

}  // namespace vend::cloud::db
