// Internal: the seccomp filter of the sandbox (layer 2), built once with libseccomp and exported as a
// classic BPF program, so that the child only has to hand it to prctl() (no allocation after clone()).
//
// Policy: allow by default; EPERM for everything that reaches outside the sandbox or changes it:
// socket() (socketpair stays: it cannot reach anything), ptrace and reading other processes' memory,
// mount/namespace/root changes, kexec, modules, bpf, perf, keyrings, io_uring (it bypasses seccomp),
// userfaultfd, clock and host-name changes, setsid/setpgid (the process group is how we kill everything),
// prlimit on other processes, signals to the supervisor (its pid, its process group, pid -1). clone3 gets
// ENOSYS so that libc falls back to clone(), whose flags the filter can inspect: namespace flags are
// refused, and with allow_fork == false so is every clone without CLONE_THREAD (and fork/vfork), and
// every execve except the one that starts the program: its path must be passed from exec_path_buffer(),
// a static buffer whose address (randomised with the supervisor's image) the filter compares against;
// after that execve the new program has no object at that address to pass. execveat is refused.
// Other architectures' system call ABIs kill the process.
#pragma once

#include <linux/filter.h>

#include <cstddef>
#include <vector>

namespace dc::sandbox::detail {

// Cached per allow_fork value; the supervisor's pid is baked in (the filter is per process).
// Throws dc::Error if libseccomp fails.
const std::vector<sock_filter>& seccomp_program(bool allow_fork);

// Where the child copies the program path before its execve (see above). kExecPathMax bytes.
constexpr size_t kExecPathMax = 4096;
char* exec_path_buffer();

}  // namespace dc::sandbox::detail
