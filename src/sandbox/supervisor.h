// Internal: supervising one spawned sandbox: feeding stdin, collecting stdout/stderr (capped) and the
// result channel, noticing the end of the process, deadlines, killing the whole group, reaping.
// Used by run_process (one deadline) and run_tests (a deadline per test, driven by channel frames).
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <string>

#include "sandbox/spawn.h"

namespace dc::sandbox::detail {

using Clock = std::chrono::steady_clock;

class Supervisor {
 public:
  enum class Event { Exited, Channel, Overflow, Deadline };

  // Takes ownership of the child and its fds. stdin_data is written as the child reads it, then closed.
  Supervisor(const Spawned& child, std::string stdin_data, uint64_t output_cap);
  ~Supervisor();  // kills and reaps the child if that has not happened yet
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Without namespaces, the host scratch directory has no tmpfs to cap it: check it every 50 ms while
  // waiting and treat a directory over max_bytes or max_entries like output over the cap (Overflow).
  void watch_scratch(std::string dir, uint64_t max_bytes, uint64_t max_entries);

  // Waits until something happens: the child exited (its pipes are then drained), new bytes on the
  // channel, stdout or stderr went over the cap (or the watched scratch directory over its caps), or
  // `deadline` passed.
  Event wait(Clock::time_point deadline);

  // SIGKILL to the whole sandbox (process group; with a pid namespace its init, which takes everything
  // in the namespace with it), then drain the pipes and reap. Idempotent.
  void kill_and_reap();
  // After Event::Exited: kill leftovers in the group, reap. Idempotent.
  void reap();

  std::string& channel() { return channel_; }  // unconsumed channel bytes; the caller erases what it parsed
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }
  bool overflowed() const { return overflow_; }
  bool scratch_full() const { return scratch_full_; }  // the overflow was the scratch directory's
  bool exited() const { return exited_; }
  bool reaped() const { return reaped_; }
  int wait_status() const { return status_; }  // valid once reaped
  double cpu_seconds() const;                  // user + system of the reaped child
  pid_t pid() const { return child_.pid; }

 private:
  void pump(int timeout_ms);  // one poll() round
  void drain();               // read the pipes to EOF (bounded time) once the child is gone
  bool read_into(int& fd, std::string& buf, bool capped);
  void write_stdin();

  Spawned child_;
  std::string stdin_;
  size_t stdin_pos_ = 0;
  uint64_t cap_;
  std::string out_, err_, channel_;
  std::string scratch_dir_;
  uint64_t scratch_bytes_ = 0, scratch_entries_ = 0;
  Clock::time_point next_scratch_check_{};
  bool scratch_full_ = false;
  bool overflow_ = false, exited_ = false, reaped_ = false, new_channel_ = false;
  int status_ = 0;
  rusage usage_{};
};

}  // namespace dc::sandbox::detail
