// What the tests of distributed runs share: whether `mpirun -np 2` can run here, and the launcher line.
// Tests that need it GTEST_SKIP() with mpi_unavailable_reason() so a machine without MPI says why.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "dist/comm.h"

namespace dc::test {

// "" when this build has MPI and mpirun is on PATH; otherwise why the test is skipped.
inline std::string mpi_unavailable_reason() {
  if (!dist::built_with_mpi()) return "built without MPI (scripts/install-deps.sh installs Open MPI)";
  if (std::system("command -v mpirun >/dev/null 2>&1") != 0) return "mpirun is not installed";
  return "";
}

// The launcher, ending in a space, for `ranks` ranks on this machine (--oversubscribe: more ranks than
// cores is fine here). Root may start jobs only when told so; `timeout` ends a job that hangs; under
// AddressSanitizer the MPI library's own start-up allocations would read as leaks. `env` ("NAME=value")
// is set for mpirun and passed on to every rank; `quiet` drops Open MPI's boxed notices, leaving the
// lines the job prints.
inline std::string mpirun_prefix(int ranks, const std::string& env = "", bool quiet = false,
                                 int timeout_s = 300) {
  std::string line = "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ASAN_OPTIONS=detect_leaks=0 ";
  if (!env.empty()) line += env + " ";
  line += "timeout " + std::to_string(timeout_s) + " mpirun " + (quiet ? "--quiet " : "") + "--oversubscribe";
  if (ranks > 0) line += " -np " + std::to_string(ranks);
  if (!env.empty()) line += " -x " + env.substr(0, env.find('='));
  return line + " ";
}

// The running test binary (tests that run themselves under mpirun).
inline std::string self_executable() {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  return n > 0 ? std::string(self, size_t(n)) : std::string();
}

}  // namespace dc::test
