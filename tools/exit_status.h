// A subcommand whose own exit code is its result (`sandbox` passes through the candidate's) throws
// ExitStatus from its callback; main() returns the code and prints nothing, because a program's non-zero
// exit is its outcome, not an error of this tool.
#pragma once

namespace dc::cli {

struct ExitStatus {
  int code = 0;
};

}  // namespace dc::cli
