// See agreement.h.
#include "dist/agreement.h"

#include <fmt/format.h>

namespace dc::dist {

void agree_on_failure(const Comm& comm, const std::string& message) {
  const int64_t failed = comm.sum(int64_t(message.empty() ? 0 : 1));
  if (failed == 0) return;
  const std::vector<std::string> all = comm.gather(message);
  if (!comm.is_root()) throw AgreedError(message, true);
  for (size_t r = 0; r < all.size(); ++r) {
    if (all[r].empty()) continue;
    // Rank 0's own failure reads as it would without MPI; another rank's names the rank.
    throw AgreedError(r == 0 ? all[r] : fmt::format("rank {}: {}", r, all[r]), false);
  }
  throw AgreedError("a rank failed", false);  // unreachable: `failed` counted one
}

void agree_on_value(const Comm& comm, uint64_t fingerprint, const std::string& what) {
  if (!comm.distributed()) return;
  const bool same = comm.min(fingerprint) == comm.max(fingerprint);
  agree_on_failure(comm, same ? std::string()
                              : fmt::format("the ranks of this job run with different {}; "
                                            "every rank must run the same binary with the "
                                            "same command line",
                                            what));
}

}  // namespace dc::dist
