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
// every execve except the one that starts the program: the filter compares execve's path pointer with the
// address of the child's copy of the path (in the supervisor's randomised heap); the program that execve
// starts has no object at that address to pass. execveat is refused.
// System V IPC is refused (its objects would outlive the run). With deny_metadata (no mount namespace)
// so are chmod/chown/utime/xattr changes of any file. Other architectures' system call ABIs kill the
// process.
#pragma once

#include <linux/filter.h>

#include <vector>

namespace dc::sandbox::detail {

// The filter for one spawn: exec_path is the pointer the child will pass to execve (ignored when
// allow_fork). Built once per (allow_fork, deny_metadata) with a placeholder address that is patched per
// call; the supervisor's pid is baked in. Throws dc::Error if libseccomp fails.
std::vector<sock_filter> seccomp_program(bool allow_fork, bool deny_metadata, const char* exec_path);

}  // namespace dc::sandbox::detail
