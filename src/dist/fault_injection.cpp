// See fault_injection.h.
#include "dist/fault_injection.h"

#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "core/error.h"

namespace dc::dist {

FaultKill fault_kill_from_env() {
  const char* v = std::getenv("DIFFUCODER_FAULT_KILL");
  if (v == nullptr || *v == '\0') return {};
  const std::string s = v;
  const size_t colon = s.find(':');
  FaultKill f;
  try {
    size_t used_rank = 0, used_at = 0;
    if (colon == std::string::npos) throw std::invalid_argument("no colon");
    f.rank = std::stoi(s.substr(0, colon), &used_rank);
    f.at = std::stoll(s.substr(colon + 1), &used_at);
    if (used_rank != colon || used_at != s.size() - colon - 1 || f.rank < 0 || f.at < 0)
      throw std::invalid_argument("range");
  } catch (const std::exception&) {
    throw_error("DIFFUCODER_FAULT_KILL='{}': expected RANK:AT (a rank >= 0 and a step or batch >= 0)", s);
  }
  return f;
}

bool fault_here(const FaultKill& f, int rank, int64_t at) {
  return f.rank == rank && f.at == at;
}

void maybe_kill(const FaultKill& f, int rank, int64_t at) {
  if (fault_here(f, rank, at)) std::raise(SIGKILL);
}

}  // namespace dc::dist
