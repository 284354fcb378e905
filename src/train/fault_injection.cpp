// See fault_injection.h.
#include "train/fault_injection.h"

#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "core/error.h"

namespace dc::train {

FaultKill fault_kill_from_env() {
  const char* v = std::getenv("DIFFUCODER_FAULT_KILL");
  if (v == nullptr || *v == '\0') return {};
  const std::string s = v;
  const size_t colon = s.find(':');
  FaultKill f;
  try {
    size_t used_rank = 0, used_step = 0;
    if (colon == std::string::npos) throw std::invalid_argument("no colon");
    f.rank = std::stoi(s.substr(0, colon), &used_rank);
    f.step = std::stoll(s.substr(colon + 1), &used_step);
    if (used_rank != colon || used_step != s.size() - colon - 1 || f.rank < 0 || f.step < 1)
      throw std::invalid_argument("range");
  } catch (const std::exception&) {
    throw_error("DIFFUCODER_FAULT_KILL='{}': expected RANK:STEP (a rank >= 0 and a step >= 1)", s);
  }
  return f;
}

void maybe_kill(const FaultKill& f, int rank, int64_t step) {
  if (f.rank == rank && f.step == step) std::raise(SIGKILL);
}

}  // namespace dc::train
