// Builds the sandbox's seccomp filter with libseccomp and exports it as BPF (see seccomp_filter.h).
#include "sandbox/seccomp_filter.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <iterator>
#include <mutex>

#include "core/error.h"

namespace dc::sandbox::detail {
namespace {

// System calls refused outright (EPERM). Names this libseccomp does not know are skipped.
const char* const kDenied[] = {
    "socket",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "pidfd_getfd",
    "mount",
    "umount",
    "umount2",
    "pivot_root",
    "chroot",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "setns",
    "unshare",
    "swapon",
    "swapoff",
    "reboot",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "acct",
    "quotactl",
    "quotactl_fd",
    "syslog",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "keyctl",
    "add_key",
    "request_key",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "settimeofday",
    "clock_settime",
    "adjtimex",
    "clock_adjtime",
    "sethostname",
    "setdomainname",
    "personality",
    "uselib",
    "vhangup",
    "lookup_dcookie",
    "open_by_handle_at",
    "name_to_handle_at",
    "iopl",
    "ioperm",
    "setsid",
    "setpgid",
    "fanotify_init",
    "nfsservctl",
    "remap_file_pages",
    "move_pages",
    "migrate_pages",
    // System V IPC: its objects outlive the process (without an IPC namespace they would stay on the host).
    "shmget",
    "shmat",
    "shmdt",
    "shmctl",
    "msgget",
    "msgsnd",
    "msgrcv",
    "msgctl",
    "semget",
    "semop",
    "semtimedop",
    "semctl",
    "ipc",
};

// Metadata changes (mode, owner, times, extended attributes). Landlock has no rights for them, so
// without a read-only mount namespace a program could change files it owns outside the scratch
// directory (an unprivileged caller's own files): refused when `deny_metadata`.
const char* const kMetadata[] = {
    "chmod",     "fchmod",     "fchmodat",    "fchmodat2",    "chown",        "fchown",        "lchown",
    "fchownat",  "utime",      "utimes",      "futimesat",    "utimensat",    "setxattr",      "lsetxattr",
    "fsetxattr", "setxattrat", "removexattr", "lremovexattr", "fremovexattr", "removexattrat",
};

// Namespace flags refused in clone().
const uint64_t kCloneNamespaceFlags[] = {CLONE_NEWNS,  CLONE_NEWCGROUP, CLONE_NEWUTS,
                                         CLONE_NEWIPC, CLONE_NEWUSER,   CLONE_NEWPID,
                                         CLONE_NEWNET, 0x00000080 /*NEWTIME*/};

void check(int rc, const char* what) {
  if (rc < 0) throw_error("sandbox: libseccomp failed to add the rule for {}: {}", what, strerror(-rc));
}

void deny_if_arg0_is(scmp_filter_ctx ctx, int nr, const char* what, uint32_t value) {
  // Compare the low 32 bits only: pid_t is an int and the upper half of the register is not defined.
  check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, value)),
        what);
}

// Placeholder for the execve path pointer; libseccomp compares a 64-bit argument as two 32-bit words,
// which are patched per spawn. Neither half can collide with the filter's other constants (system call
// numbers, clone flags, pids below 2^22, errno actions).
constexpr uint64_t kExecPathPlaceholder = 0x5eccd0e1a7b3c9f1ull;
constexpr uint32_t kPlaceholderHi = uint32_t(kExecPathPlaceholder >> 32),
                   kPlaceholderLo = uint32_t(kExecPathPlaceholder);

void deny_all(scmp_filter_ctx ctx, const char* const* names, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    int nr = seccomp_syscall_resolve_name(names[i]);
    if (nr < 0) continue;  // unknown to this libseccomp, or not a system call on this architecture
    check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0), names[i]);
  }
}

std::vector<sock_filter> build(bool allow_fork, bool deny_metadata) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) throw_error("sandbox: seccomp_init failed");
  struct Guard {
    scmp_filter_ctx c;
    ~Guard() { seccomp_release(c); }
  } guard{ctx};
  check(seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS), "bad architectures");

  deny_all(ctx, kDenied, std::size(kDenied));
  if (deny_metadata) deny_all(ctx, kMetadata, std::size(kMetadata));
  check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0), "clone3");
  for (uint64_t flag : kCloneNamespaceFlags) {
    check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag)),
          "clone namespace flags");
  }
  if (!allow_fork) {
    check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(fork), 0), "fork");
    check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(vfork), 0), "vfork");
    check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ, uint64_t(CLONE_THREAD), 0)),
          "clone without CLONE_THREAD");
    // No new programs either, except the execve that starts ours (see seccomp_filter.h).
    check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(execveat), 0), "execveat");
    check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(execve), 1,
                           SCMP_A0(SCMP_CMP_NE, kExecPathPlaceholder)),
          "execve");
  }

  // Signals to the supervisor: its pid (any thread id would need the live list; the main one is the
  // one that matters for kill(getppid())), its process group, and "every process" (-1).
  const uint32_t self = uint32_t(getpid()), group = uint32_t(-getpgrp()), all = uint32_t(-1);
  for (uint32_t target : {self, group, all}) {
    deny_if_arg0_is(ctx, SCMP_SYS(kill), "kill", target);
    deny_if_arg0_is(ctx, SCMP_SYS(tgkill), "tgkill", target);
    deny_if_arg0_is(ctx, SCMP_SYS(rt_sigqueueinfo), "rt_sigqueueinfo", target);
    deny_if_arg0_is(ctx, SCMP_SYS(rt_tgsigqueueinfo), "rt_tgsigqueueinfo", target);
  }
  deny_if_arg0_is(ctx, SCMP_SYS(tkill), "tkill", self);
  deny_if_arg0_is(ctx, SCMP_SYS(pidfd_open), "pidfd_open", self);
  // prlimit64(pid != 0, ...): reading or changing another process's limits (libc sign-extends pid).
  check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(prlimit64), 1, SCMP_A0(SCMP_CMP_NE, 0)),
        "prlimit64");

  int fd = memfd_create("dc-seccomp", MFD_CLOEXEC);
  if (fd < 0) throw_error("sandbox: memfd_create failed: {}", strerror(errno));
  int rc = seccomp_export_bpf(ctx, fd);
  if (rc < 0) {
    close(fd);
    throw_error("sandbox: seccomp_export_bpf failed: {}", strerror(-rc));
  }
  off_t size = lseek(fd, 0, SEEK_END);
  DC_ASSERT(size > 0 && size % sizeof(sock_filter) == 0);
  std::vector<sock_filter> prog(size_t(size) / sizeof(sock_filter));
  ssize_t got = pread(fd, prog.data(), size_t(size), 0);
  close(fd);
  DC_ASSERT(got == size);
  return prog;
}

}  // namespace

std::vector<sock_filter> seccomp_program(bool allow_fork, bool deny_metadata, const char* exec_path) {
  static std::mutex mu;
  static std::vector<sock_filter> progs[2][2];
  std::vector<sock_filter> prog;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto& p = progs[allow_fork ? 1 : 0][deny_metadata ? 1 : 0];
    if (p.empty()) p = build(allow_fork, deny_metadata);
    prog = p;
  }
  if (allow_fork) return prog;
  const uint64_t addr = uint64_t(reinterpret_cast<uintptr_t>(exec_path));
  int hi = 0, lo = 0;
  for (sock_filter& ins : prog) {
    if (BPF_CLASS(ins.code) != BPF_JMP || BPF_SRC(ins.code) != BPF_K) continue;
    if (ins.k == kPlaceholderHi) {
      ins.k = uint32_t(addr >> 32);
      ++hi;
    } else if (ins.k == kPlaceholderLo) {
      ins.k = uint32_t(addr);
      ++lo;
    }
  }
  DC_ASSERT(hi > 0 && lo > 0, "the execve rule's placeholder was not found in the seccomp program");
  return prog;
}

}  // namespace dc::sandbox::detail
