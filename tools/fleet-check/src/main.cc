// fleet-check: compares every edge database of a fleet with PostgreSQL and prints each
// difference (the invariants of DESIGN.md section 4; core/compare.h lists them). Exit
// status 0 when there is none, 1 when there is any, 2 when the check could not be made.
// Reads both sides, writes neither.
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <optional>
#include <set>
#include <thread>

#include "core/compare.h"
#include "pg_cloud_reader.h"
#include "sqlite_edge_reader.h"
#include "vend/ids.h"

namespace {

using namespace vend;
using namespace vend::fleet_check;

constexpr int kExitClean = 0;
constexpr int kExitDifferences = 1;
constexpr int kExitCannotCheck = 2;

struct MachineArg {
  std::string id;
  std::string db;
};

int CannotCheck(const std::string& message) {
  std::cerr << "fleet-check: " << message << "\n";
  return kExitCannotCheck;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "fleet-check - compares every edge database of a VendFleet fleet with PostgreSQL.\n"
      "\n"
      "For each MACHINE_ID=PATH (PATH: that machine's vend-edge SQLite file) it checks that\n"
      "every order, refund and deposit at the edge exists exactly once in PostgreSQL with the\n"
      "same amounts and status (orders by machine + order id + uuid, deposits by uuid) and\n"
      "nothing else is there; that the raw event log holds no event, sale, refund, deposit or\n"
      "command outcome twice; that cloud stock equals the edge's count for every product and\n"
      "customers' balances are equal; that no balance or stock is negative on either side;\n"
      "that on each side deposits - paid orders == the sum of balances; that every command\n"
      "the edge applied or rejected is resolved the same way in the cloud (and none the edge\n"
      "never saw); that every event is applied by the cloud or still in the outbox; and,\n"
      "once no command to a machine is pending, that it sells exactly the cloud's catalog\n"
      "(names, prices including per-machine prices, images, refundability).\n"
      "By default the fleet must also be quiescent: every outbox empty and the cloud\n"
      "watermark equal to the edge's last_seq.\n"
      "\n"
      "Read-only on both sides: SQLite is opened with mode=ro, PostgreSQL read in READ ONLY\n"
      "REPEATABLE READ transactions. It works with vend-edge stopped (also after SIGKILL:\n"
      "the -wal file is read) and while it runs (WAL readers see one consistent commit);\n"
      "use --live then, so events on their way count as pending instead of as differences.\n"
      "\n"
      "Prints one line per difference ('ID DIFF area: detail'), notes, and a summary.\n"
      "Exit status: 0 no difference, 1 differences, 2 could not check (bad arguments,\n"
      "unreadable database, PostgreSQL unreachable)."};
  std::string pg_url;
  std::vector<std::string> specs;
  bool live = false;
  int attempts = 50;
  app.add_option("--pg", pg_url, "PostgreSQL URL of vend-cloud's database")
      ->envname("VEND_PG_URL")
      ->required();
  app.add_flag("--live", live,
               "The fleet may be running: events still in an outbox (or waiting above the\n"
               "watermark) are compared as pending, not reported as differences");
  app.add_option("--attempts", attempts,
                 "Times to re-read a machine whose cloud acknowledged more between the two\n"
                 "reads (only while it runs), 100 ms apart")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  app.add_option("machines", specs, "MACHINE_ID=PATH/edge.db, one per machine")->required();
  app.set_version_flag("--version", VEND_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitClean : kExitCannotCheck;
  }

  std::vector<MachineArg> machines;
  std::set<std::string> seen;
  for (const auto& spec : specs) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos || eq + 1 == spec.size()) {
      return CannotCheck("'" + spec + "' is not MACHINE_ID=PATH");
    }
    MachineArg m{spec.substr(0, eq), spec.substr(eq + 1)};
    if (!IsMachineId(m.id)) return CannotCheck("'" + m.id + "' is not a valid machine id");
    if (!seen.insert(m.id).second) return CannotCheck("machine " + m.id + " is given twice");
    machines.push_back(std::move(m));
  }

  auto reader = PgCloudReader::Connect(pg_url);
  if (!reader.ok()) return CannotCheck(reader.status().message());

  CompareOptions options;
  options.require_quiescence = !live;
  size_t total = 0;
  for (const auto& m : machines) {
    // The cloud first, then the edge: the cloud can then only be behind the edge, and
    // whatever it has not applied is still in the outbox, unless it acknowledged more in
    // between (SnapshotsComparable), which a re-read settles.
    std::optional<CloudSnapshot> cloud;
    std::optional<EdgeSnapshot> edge;
    for (int attempt = 1; attempt <= attempts; ++attempt) {
      auto c = (*reader)->Read(m.id);
      if (!c.ok()) return CannotCheck(c.status().message());
      auto e = ReadEdgeDatabase(m.db);
      if (!e.ok()) return CannotCheck(e.status().message());
      cloud = std::move(*c);
      edge = std::move(*e);
      if (SnapshotsComparable(*edge, *cloud)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const MachineReport report = CompareMachine(m.id, *edge, *cloud, options);
    total += report.differences.size();
    std::cout << m.id << (report.differences.empty() ? " ok: " : " DIFFERS: ") << report.summary
              << "\n";
    for (const auto& note : report.notes) std::cout << m.id << " note: " << note << "\n";
    for (const auto& d : report.differences) {
      std::cout << m.id << " DIFF " << d.area << ": " << d.detail << "\n";
    }
  }
  std::cout << "fleet-check: " << machines.size() << " machine(s) compared, " << total
            << " difference(s)\n";
  return total == 0 ? kExitClean : kExitDifferences;
}
