// Reads one machine's edge database (the SQLite file of vend-edge) into an EdgeSnapshot.
//
// Read-only: the file is opened with mode=ro and never written, checkpointed or
// migrated. Everything is read in one read transaction, so the snapshot is consistent
// even while vend-edge runs and commits sales: in WAL mode a reader sees the database as
// of its first read and neither blocks the writer nor is blocked by it. It works on a
// database whose vend-edge is stopped (cleanly or by SIGKILL, leaving its -wal and -shm
// files, whose committed content it reads) and on one whose vend-edge runs.
#pragma once

#include <string>

#include "core/snapshot.h"
#include "vend/status.h"

namespace vend::fleet_check {

// Fails (kNotFound) when the file does not exist, (kInternal) when it is not a vend-edge
// database of a schema this tool knows or an outbox row does not decode.
Result<EdgeSnapshot> ReadEdgeDatabase(const std::string& path);

}  // namespace vend::fleet_check
