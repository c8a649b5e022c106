// CPU time and memory of the processes under test, read from /proc.
//
// A watched process counts with all its descendants (PostgreSQL's backends, say): the
// CPU of each live one (utime + stime) plus what the kernel credits to each for its
// children that have already exited and were waited for (cutime + cstime).
//
// Thread safety: free functions.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace vend::bench {

struct ProcUsage {
  bool alive = false;
  double cpu_s = 0;    // the process tree's CPU seconds so far
  int64_t hwm_kb = 0;  // VmHWM of the root process: its peak resident set
  int64_t rss_kb = 0;  // VmRSS of the root process now
  int processes = 0;   // live processes in the tree
};
ProcUsage SampleProcessTree(pid_t root);

// Busy CPU seconds of the whole machine so far, all cores (from /proc/stat).
double MachineBusySeconds();

// This process's own CPU seconds so far.
double SelfCpuSeconds();

}  // namespace vend::bench
