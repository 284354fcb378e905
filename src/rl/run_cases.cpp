#include "rl/run_cases.h"

#include <cstddef>

namespace dc::rl {

using sandbox::Status;

std::vector<CaseRun> run_every_case(const std::vector<sandbox::TestRunRequest>& requests,
                                    sandbox::Pool& pool) {
  std::vector<CaseRun> out(requests.size());
  // A pending piece: request r from input `first` on.
  struct Piece {
    size_t request, first;
  };
  std::vector<Piece> pending;
  for (size_t r = 0; r < requests.size(); ++r) {
    out[r].tests.resize(requests[r].inputs.size());
    pending.push_back({r, 0});
  }
  bool first_round = true;
  while (!pending.empty()) {
    std::vector<sandbox::TestRunRequest> round;
    for (const Piece& p : pending) {
      sandbox::TestRunRequest req = requests[p.request];
      req.stop_at_first_failure = false;
      req.inputs.erase(req.inputs.begin(), req.inputs.begin() + std::ptrdiff_t(p.first));
      if (p.first < req.per_test_seconds.size()) {
        req.per_test_seconds.erase(req.per_test_seconds.begin(),
                                   req.per_test_seconds.begin() + std::ptrdiff_t(p.first));
      } else {
        req.per_test_seconds.clear();
      }
      round.push_back(std::move(req));
    }
    std::vector<sandbox::TestRunResult> results = pool.run_all(round);
    std::vector<Piece> next;
    for (size_t k = 0; k < pending.size(); ++k) {
      const Piece& p = pending[k];
      CaseRun& cr = out[p.request];
      sandbox::TestRunResult& res = results[k];
      if (first_round) {
        cr.program_status = res.program_status;
        cr.program_error = res.program_error;
      }
      for (size_t i = 0; i < res.tests.size(); ++i) cr.tests[p.first + i] = std::move(res.tests[i]);
      if (res.program_status != Status::Ok) continue;  // nothing ran, and nothing will on a restart
      // The first input without a result follows the one that ended the process: start again there.
      size_t i = 0;
      while (i < res.tests.size() && cr.tests[p.first + i].status != Status::NotRun) ++i;
      if (i > 0 && i < res.tests.size()) next.push_back({p.request, p.first + i});
    }
    pending = std::move(next);
    first_round = false;
  }
  return out;
}

}  // namespace dc::rl
