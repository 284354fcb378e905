// Fault injection for tests of distributed runs: DIFFUCODER_FAULT_KILL="RANK:AT" names a rank and a point
// of the run where that rank fails, as a machine that dies mid-run would: `train` / `sft` raise SIGKILL at
// the start of step AT (1-based), `eval` stops with an error before generation batch AT (0-based). The tests
// check that the job then ends non-zero, that rank 0 says what survives, and that a rerun continues from
// it. Unset (the normal case) it does nothing.
#pragma once

#include <cstdint>

namespace dc::dist {

struct FaultKill {
  int rank = -1;    // -1: no fault
  int64_t at = -1;  // the step or batch
};

// Reads DIFFUCODER_FAULT_KILL. Throws dc::Error for a value that is not RANK:AT.
FaultKill fault_kill_from_env();

// Whether `f` names this rank and point.
bool fault_here(const FaultKill& f, int rank, int64_t at);
// Raises SIGKILL when `f` names this rank and point.
void maybe_kill(const FaultKill& f, int rank, int64_t at);

}  // namespace dc::dist
