// Running every test input of many sandbox requests, even past a test that ends the process.
//
// run_tests stops the whole process at a test that times out, crashes, runs out of memory or calls
// os._exit: the tests after it are NotRun. A reward counts every case, so each such request is started
// again (a fresh process, the program loaded again) with the inputs after the one that ended it, until
// every input has a result or the program no longer loads. Requests run concurrently on a sandbox::Pool.
#pragma once

#include <vector>

#include "sandbox/sandbox.h"

namespace dc::rl {

// One request's outcome: program_status / program_error as the first run reported them, and one
// TestResult per input (NotRun only when the program stopped loading on a later start).
struct CaseRun {
  sandbox::Status program_status = sandbox::Status::SandboxError;
  std::string program_error;
  std::vector<sandbox::TestResult> tests;
};

// stop_at_first_failure is ignored (treated as false). Results in request order.
std::vector<CaseRun> run_every_case(const std::vector<sandbox::TestRunRequest>& requests,
                                    sandbox::Pool& pool);

}  // namespace dc::rl
