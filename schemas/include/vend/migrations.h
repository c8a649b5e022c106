// A numbered schema migration, embedded into the binary from schemas/sql at build time.
#pragma once

#include <vector>

namespace vend::schemas {

struct Migration {
  int version;       // NNN of NNN_name.sql; strictly increasing
  const char* name;  // name part of the file name
  const char* sql;   // the whole script, applied in one transaction
};

}  // namespace vend::schemas
