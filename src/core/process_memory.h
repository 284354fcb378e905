// Resident memory of this process, for benchmarks and progress lines (Linux /proc; -1 where unavailable).
#pragma once

namespace dc {

// Current resident set (VmRSS) in KiB: anonymous memory plus the mapped file pages now in memory.
long resident_kib();
// Highest resident set since the process started (VmHWM) in KiB.
long peak_resident_kib();

}  // namespace dc
