// Internal: the Landlock layer (unprivileged LSM, Linux 5.13+). It backs up the mount namespace and keeps
// the sandbox safe where namespaces are missing: reading, listing and executing only the read allowlist
// (read_allowlist.h) and the writable directories; writes of any kind (create, delete, rename, truncate,
// write) only beneath the writable directories (the scratch directory; /tmp when it is the sandbox's
// private tmpfs) and to /dev/null; no TCP bind/connect (ABI 4+); no signals to processes outside the
// sandbox and no abstract unix sockets (ABI 6+).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dc::sandbox::detail {

// The kernel's Landlock ABI version, 0 when Landlock is unavailable. Cached.
int landlock_abi();

struct LandlockPlan {
  int abi = 0;               // 0: do nothing
  uint64_t handled_fs = 0;   // rights the ruleset restricts
  uint64_t handled_net = 0;  // ABI 4+
  uint64_t scoped = 0;       // ABI 6+
  uint64_t read_dir = 0;     // rights granted on a readable directory: list, read and execute beneath it
  uint64_t read_file = 0;    // rights granted on a readable file or device
  uint64_t dev_null = 0;     // rights granted on /dev/null
};

LandlockPlan landlock_plan(int abi);

// One path and the rights granted beneath it.
struct LandlockRule {
  std::string path;
  uint64_t access = 0;
};

// The rules for one sandbox: every directory of `writable_dirs` with all rights, the read allowlist
// readable, and /proc readable (private_proc: the whole private /proc of a pid namespace; otherwise only
// the process's own /proc/self, resolved when the rules are applied).
std::vector<LandlockRule> landlock_rules(const LandlockPlan& plan,
                                         const std::vector<std::string>& writable_dirs, bool private_proc);

// Restricts the calling process (and its future children) to `rules`. Only raw system calls: safe
// between clone() and execve(). Requires no_new_privs. Returns 0, or -1 with errno set.
int landlock_apply(const LandlockPlan& plan, const std::vector<LandlockRule>& rules);

}  // namespace dc::sandbox::detail
