// Internal: the read allowlist, what sandboxed code may read of the host (SPEC §9). Everything else —
// benchmark files, expected-output caches, the caller's home, the project tree — is invisible (with
// namespaces) or unreadable (Landlock, without them), so a candidate cannot look up the answers.
//
// Allowed, read-only:
//   /usr                      the interpreter's prefix: python3, its standard library, shared libraries
//   /bin /sbin /lib /lib32 /lib64 /libx32
//                             on merged-/usr systems symbolic links into /usr (kept as links); directories
//                             elsewhere (then allowed like /usr)
//   /etc/ld.so.cache          where the dynamic loader finds libraries
//   /etc/localtime            the time zone (`time.localtime`)
//   /dev/null /dev/zero /dev/random /dev/urandom   (/dev/null also writable)
// plus the scratch directory (read-write) and the process's own /proc entries.
//
// Two enforcers use the same list:
//  - with namespaces, the child builds a fresh root from it (an empty tmpfs, read-only bind mounts of the
//    entries, a private /proc and a size-limited /tmp) and pivots into it: nothing else exists there;
//  - without namespaces, Landlock read rules allow exactly these paths (reading and listing elsewhere
//    fails with EACCES). stat() and readlink() are not covered by Landlock: names and sizes of host files
//    stay visible in that mode, their contents do not.
#pragma once

#include <linux/mount.h>

#include <string>
#include <vector>

namespace dc::sandbox::detail {

// One host path of the allowlist as it exists on this machine (absent entries are left out).
struct AllowedPath {
  enum class Kind { Directory, File, Device, Symlink };
  std::string path;         // absolute host path
  Kind kind = Kind::File;   // what lstat() found
  std::string link_target;  // Symlink: the link's text, recreated as is in the new root
};

// The allowlist on this machine, computed once (lstat of each entry).
const std::vector<AllowedPath>& read_allowlist();

// ---- the namespace root ------------------------------------------------------------------------------
// Steps the child performs with raw system calls (after making its mounts private, before pivot_root),
// prepared by the parent because the child may not allocate.
struct RootStep {
  enum class Op { MakeDir, MakeFile, Bind, Symlink, Mount };
  Op op = Op::MakeDir;
  std::string target;  // absolute path under the staging mount
  std::string source;  // Bind: host path; Symlink: link text; Mount: file system type
  std::string data;    // Mount: options
  unsigned long flags = 0;
  bool read_only = true;  // Bind: mount_setattr read-only (devices: only nosuid, noexec)
};

struct RootPlan {
  std::string stage;            // where the new root is assembled (a tmpfs mounted over it)
  std::string stage_options;    // its tmpfs options
  std::vector<RootStep> steps;  // in order
  mount_attr read_only{};       // for read-only binds and, after the pivot, the new root itself
  mount_attr device{};          // for device binds
};

// The plan for a sandbox whose private /tmp gets `tmp_options` (tmpfs options: size, inodes, owner).
RootPlan root_plan(const std::string& tmp_options);

// Runs the plan, then pivots into the new root and detaches the old one. Only raw system calls: safe
// between clone() and execve(). Returns 0, or -1 with errno set.
int enter_root(const RootPlan& plan);

}  // namespace dc::sandbox::detail
