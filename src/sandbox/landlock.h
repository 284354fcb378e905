// Internal: the Landlock layer (unprivileged LSM, Linux 5.13+). It backs up the mount namespace and keeps
// the sandbox safe where namespaces are missing: writes of any kind (create, delete, rename, truncate,
// write) only beneath the writable directories (the scratch directory; /tmp when it is the sandbox's
// private tmpfs) and to /dev/null; no TCP bind/connect (ABI 4+); no signals to processes outside the
// sandbox and no abstract unix sockets (ABI 6+). Reading is not restricted here.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dc::sandbox::detail {

// The kernel's Landlock ABI version, 0 when Landlock is unavailable. Cached.
int landlock_abi();

struct LandlockPlan {
  int abi = 0;               // 0: do nothing
  uint64_t handled_fs = 0;   // rights the ruleset restricts
  uint64_t handled_net = 0;  // ABI 4+
  uint64_t scoped = 0;       // ABI 6+
  uint64_t dev_null = 0;     // rights granted on /dev/null
};

LandlockPlan landlock_plan(int abi);

// Restricts the calling process (and its future children). Only raw system calls: safe between clone()
// and execve(). Requires no_new_privs. Returns 0, or -1 with errno set.
int landlock_apply(const LandlockPlan& plan, const char* const* writable_dirs, int n_dirs);

}  // namespace dc::sandbox::detail
