// Failures that every rank meets alike (bad flags, an unreadable file, an incompatible resume state, more
// ranks than work) must end a distributed job with one line, not one line per rank, and must not leave some
// ranks waiting in a collective for others that gave up. agree() runs a set-up step on every rank and then
// compares outcomes: when it failed anywhere, the root throws AgreedError with the message of the lowest
// failing rank (main prints it, the job's only line) and every other rank throws AgreedError marked quiet.
// Either way every rank is still in step, so the job can leave MPI cleanly and exit 1.
#pragma once

#include <exception>
#include <string>

#include "core/error.h"
#include "dist/comm.h"

namespace dc::dist {

class AgreedError : public Error {
 public:
  AgreedError(const std::string& what, bool quiet) : Error(what), quiet_(quiet) {}
  bool quiet() const { return quiet_; }  // another rank prints it

 private:
  bool quiet_;
};

// Collective. `message` is this rank's error ("" = it succeeded).
void agree_on_failure(const Comm& comm, const std::string& message);

// Runs setup() (on one rank it simply runs it and lets its errors through).
template <class F>
void agree(const Comm& comm, F&& setup) {
  if (!comm.distributed()) {
    setup();
    return;
  }
  std::string message;
  try {
    setup();
  } catch (const std::exception& e) {
    message = e.what();
    if (message.empty()) message = "unknown error";
  }
  agree_on_failure(comm, message);
}

// Collective: fails (as agree) unless every rank passes the same `fingerprint`; `what` names it
// ("the command line", "the binary").
void agree_on_value(const Comm& comm, uint64_t fingerprint, const std::string& what);

}  // namespace dc::dist
