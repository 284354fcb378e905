// Internal: starting one sandboxed process. Everything the child needs is prepared here, before clone(),
// because between clone() and execve() the child may only make raw system calls (the parent is
// multi-threaded: no malloc, no locks, no glibc set*id broadcast).
//
// Child steps, in order (a failure is written to the error pipe as "step errno" and the child exits 127):
//   wait for the uid/gid maps (namespaces) -> setsid -> fds 0..3 -> private mounts (namespaces) -> drop
//   to the sandbox uid -> the new root built from the read allowlist, with its private /proc and /tmp
//   (namespaces, read_allowlist.h) -> parent-death signal -> scratch files (namespaces) -> chdir -> rlimits
//   -> no_new_privs -> Landlock -> seccomp -> execve.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "sandbox/sandbox.h"

namespace dc::sandbox::detail {

// The uid/gid the program runs as inside the user namespace.
constexpr unsigned kSandboxUid = 1000;
// When the supervisor is root, each sandbox runs as its own unprivileged host uid/gid (no passwd entry
// needed): kHostIdBase + (pid % 8192) * 256 + slot id. Distinct ids keep RLIMIT_NPROC per sandbox and stop
// concurrent sandboxes from signalling each other or reading each other's scratch directories.
constexpr unsigned kHostIdBase = 200000;
unsigned host_id_for_slot(int slot);

struct SpawnSpec {
  std::vector<std::string> argv;
  std::vector<std::string> env;                            // "KEY=value"
  std::vector<std::pair<std::string, std::string>> files;  // written by the child (namespaces only)
  std::string host_scratch;  // without namespaces: the working directory, prepared by the caller
  Limits limits;
  double cpu_seconds = 1;  // resolved RLIMIT_CPU (seconds, >= 1)
  bool namespaces = false;
  bool seccomp = true;
  bool landlock = true;        // when the kernel has it
  bool restrict_reads = true;  // false: the whole file system readable (only to measure the allowlist)
  int slot = 0;                // which concurrency slot (picks the host uid when we are root)
  bool channel = false;        // give the child a fourth pipe on fd 3 (child -> supervisor)
  bool probe = false;          // set everything up, then _exit(0) instead of execve (start-up probe)
};

// A started child. All fds are the supervisor's ends, O_CLOEXEC and non-blocking; -1 when absent.
struct Spawned {
  pid_t pid = -1;
  int pidfd = -1;  // readable when the child exits
  int stdin_w = -1, stdout_r = -1, stderr_r = -1, channel_r = -1;
  Layers layers;
};

// Working directory of the program inside the namespaces (a private tmpfs on /tmp).
constexpr const char* kNamespaceScratch = "/tmp/sandbox";

// Starts the child. Throws dc::Error when the sandbox cannot be set up (clone fails, the child reports a
// failed step before execve); the message names the step and errno.
Spawned spawn(const SpawnSpec& spec);

}  // namespace dc::sandbox::detail
