#include "proc_stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <vector>

namespace vend::bench {
namespace {

struct Stat {
  pid_t ppid = 0;
  double cpu_s = 0;
};

// Fields after the command name (which may hold spaces and parentheses): state is
// field 3, ppid 4, utime 14, stime 15, cutime 16, cstime 17 (proc(5)).
bool ReadStat(pid_t pid, Stat* out) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return false;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream in(line.substr(close + 2));
  std::vector<std::string> fields;
  std::string tok;
  while (in >> tok) fields.push_back(tok);
  if (fields.size() < 15) return false;
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  out->ppid = static_cast<pid_t>(std::stol(fields[1]));
  out->cpu_s = (std::stod(fields[11]) + std::stod(fields[12]) + std::stod(fields[13]) +
                std::stod(fields[14])) /
               ticks;
  return true;
}

int64_t StatusKb(pid_t pid, const std::string& key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.compare(0, key.size(), key) == 0 && line.size() > key.size() &&
        line[key.size()] == ':') {
      return std::stoll(line.substr(key.size() + 1));
    }
  }
  return 0;
}

}  // namespace

ProcUsage SampleProcessTree(pid_t root) {
  ProcUsage u;
  std::map<pid_t, Stat> all;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      const pid_t pid = static_cast<pid_t>(std::atol(e->d_name));
      Stat s;
      if (pid > 0 && ReadStat(pid, &s)) all[pid] = s;
    }
    closedir(d);
  }
  if (!all.count(root)) return u;
  std::multimap<pid_t, pid_t> children;
  for (const auto& [pid, s] : all) children.emplace(s.ppid, pid);
  std::vector<pid_t> to_visit{root};
  while (!to_visit.empty()) {
    const pid_t pid = to_visit.back();
    to_visit.pop_back();
    u.cpu_s += all[pid].cpu_s;
    ++u.processes;
    auto range = children.equal_range(pid);
    for (auto it = range.first; it != range.second; ++it) to_visit.push_back(it->second);
  }
  u.alive = true;
  u.hwm_kb = StatusKb(root, "VmHWM");
  u.rss_kb = StatusKb(root, "VmRSS");
  return u;
}

double MachineBusySeconds() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  f >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  return (user + nice + system + irq + softirq + steal) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

}  // namespace vend::bench
