// Internal: the trusted Python driver that run_tests starts inside the sandbox, and its wire formats.
//
// stdin (supervisor -> driver, read completely before the program runs, then stdin is /dev/null):
//   "DCSB1 <stop_at_first_failure 0|1> <number of inputs>\n"
//   then 2 + n blobs, each "<byte length>\n<bytes>": harness, program, input 0, ..., input n-1 (UTF-8).
// fd 3 (driver -> supervisor), frames "<tag> <index> <status> <length>\n<payload bytes>":
//   H -1 fail  the harness raised or defines no run_test (payload: "Type: message")
//   L -1 ok|fail|oom  the program was exec()'d (fail/oom payload: "Type: message")
//   R i  ok|fail|oom  test i finished (payload: run_test's return value, or "Type: message")
// Headers are at most 64 bytes, tags and statuses exactly these, indices in order, lengths bounded.
#pragma once

namespace dc::sandbox::detail {

extern const char* const kDriverSource;

}  // namespace dc::sandbox::detail
