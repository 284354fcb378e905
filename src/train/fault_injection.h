// Fault injection for tests of distributed runs: DIFFUCODER_FAULT_KILL="RANK:STEP" makes rank RANK raise
// SIGKILL on itself at the start of training step STEP, as a machine that dies mid-run would. The tests
// check that the job then ends non-zero, that rank 0 says which checkpoint survives, and that --resume
// continues from it. Unset (the normal case) it does nothing.
#pragma once

#include <cstdint>

namespace dc::train {

struct FaultKill {
  int rank = -1;      // -1: no fault
  int64_t step = -1;  // 1-based training step
};

// Reads DIFFUCODER_FAULT_KILL. Throws dc::Error for a value that is not RANK:STEP.
FaultKill fault_kill_from_env();

// Raises SIGKILL when `f` names this rank and step.
void maybe_kill(const FaultKill& f, int rank, int64_t step);

}  // namespace dc::train
